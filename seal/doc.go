// Package seal encrypts content before it reaches a storage engine, so that
// destroying a conversation's data key (DEK) makes every copy of its
// content unreadable: the database files, their WAL, dead tuples, replicas
// and backups.
//
// A DEK is a random 256-bit key, one per conversation (NewDEK). Two shapes
// of ciphertext are built from it:
//
//   - A sealed record (Seal, Open) holds one field value: a version byte,
//     an algorithm byte, a random nonce and the AEAD ciphertext with its
//     tag. The additional data binds the value to where it is stored
//     (Context: tenant, conversation, table, column and row), so a sealed
//     value copied into another row or field fails to open.
//   - A sealed stream (NewWriter, NewReader) holds attachment bytes: a
//     header, then 64 KiB segments each sealed with its own nonce (the
//     STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár, as in
//     Tink's streaming AEAD). A per-stream key is derived from the DEK and a
//     random salt; each segment's nonce carries its index and a final-segment
//     flag, so reordered, dropped, truncated or extended streams fail to open.
//     Writer and Reader hold one segment in memory at a time. The
//     write-ahead Writer (NewWriteAheadWriter) seals the next segment on a
//     goroutine of its own, holding three; the read-ahead Reader
//     (NewReadAheadReader) opens segments on helper goroutines, one per
//     spare core, while the caller opens any no helper has claimed,
//     holding four per opener.
//
// Every failure to open (a flipped byte, a truncation, a wrong key or
// context, an unknown version) is an error matching ErrIntegrity, never
// content and never a panic.
//
// The first byte of every sealed record and stream is 0xF5 or 0xF6, which
// never starts valid UTF-8, so a sealed value stored where a plaintext
// string used to be can be told apart from it (IsSealed) while an existing
// store is being sealed.
package seal
