// Package forensic checks whether content written to convstore can be read
// back from the files on disk: the proof behind "deleted means unreadable".
//
// A check (Check) writes unique random canary strings through the native API
// and every vendor door into every content field those doors store (titles,
// metadata keys and values, user and external ids, message content, parts,
// author names and metadata, artifact text and data, attachment names and
// bytes, and each door's own fields: Stammer queries and prompts, Symbl
// speakers and insights, ElevenLabs transcripts, recordings and analysis,
// Botpress tags and properties, Inkeep properties, links and feedback), in
// two conversations per door. It deletes one of each pair through its own
// door, and scans the target's files for every canary four times: before the
// deletes, after them, after a checkpoint and after a restart.
//
// The scanner (Set.Scan) reads each file in chunks and finds a canary raw,
// as UTF-16 (either byte order), as hex (either case) and inside base64 or
// base64url at any alignment; JSON, SQL and URL escaping leave canaries
// (lower-case letters and digits) unchanged, so the raw form covers them. It
// also reports a canary in a file's path. Every canary of a run shares a
// random prefix, found with one byte search per form, so a scan costs about
// as much as reading the files.
//
// DataDirFiles lists a SQLite store's files (database, -wal, -shm, -journal,
// the blob directory and anything else in the data directory); Postgres
// lists a PostgreSQL schema's heap, TOAST and index files, pg_statistic, the
// pg_wal segments written since it was opened and what the server log gained
// since. No check of files can see the filesystem's free blocks, backups,
// replicas or memory (NotCoveredAlways).
//
// The command "convstore forensic" runs a check against a server in its own
// process; cmd/convstore's tests run it on both engines.
package forensic
