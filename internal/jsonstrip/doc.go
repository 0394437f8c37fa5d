// Package jsonstrip drops keys from JSON objects, so that tests can compare
// run files that differ only in wall times or byte counts.
package jsonstrip
