// Command convstore is convstore's server and command-line client in one
// binary.
//
//	convstore serve                      run the server (SQLite + blob directory)
//	convstore conversations list|get|create|update|delete
//	convstore messages add|list|get|delete
//	convstore artifacts add|list|get|delete
//	convstore attachments put|get|list|delete
//	convstore deletions list|get
//	convstore audit list
//	convstore keys create|list|revoke
//	convstore keys rotate                offline: a new key epoch, data keys re-wrapped
//	convstore tenants create|list        offline: opens the store directly
//	convstore backup FILE                offline: an online copy of a SQLite store
//	convstore restore BACKUP             offline: installs a backup, re-applying later deletes
//
// Every setting is a flag with a CONVSTORE_* environment variable behind it;
// a flag wins over the environment, which wins over the default. Client
// commands talk to a server through package client (--url, --key) and print
// a table, or the wire JSON with --json. Run "convstore help" or add -h to
// any command for its flags.
//
// main stays thin: the server is the testable Main type (ParseFlags, Run,
// Addr, Close) and every command writes to the io.Writers it is given, so the
// end-to-end tests drive the real binary's code on 127.0.0.1:0.
package main
