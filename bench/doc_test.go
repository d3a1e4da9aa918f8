// Package bench holds benchmarks that span packages; it has only test
// files, so nothing here is part of any build.
//
// BenchmarkDelete measures how many conversations per second a permanent,
// cascading delete gets through, straight on the SQLite engine and through
// the Go client, the native HTTP door and the same engine on loopback, for
// conversations of 10 and 1000 messages:
//
//	go test -run '^$' -bench Delete -benchtime 200x ./bench/
//
// It reports convs/s for each sub-benchmark and logs the http/engine ratio
// of each size at the end.
package bench
