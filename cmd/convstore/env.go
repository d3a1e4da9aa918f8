package main

import (
	"io"
	"os"
)

// Env is what a command reads and writes besides its arguments: the
// standard streams and the environment. Tests pass buffers and a map.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// NewEnv returns the process's streams and environment.
func NewEnv() *Env {
	return &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}
