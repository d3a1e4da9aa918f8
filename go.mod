module github.com/convstore/convstore

go 1.26.8
