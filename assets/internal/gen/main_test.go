package main

import (
	"bytes"
	"testing"
)

func TestCutKeepsFirstItems(t *testing.T) {
	// 3 items of 2×2 bytes, rank 3.
	in := []byte{0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	got, err := cut(in, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2,
		1, 2, 3, 4, 5, 6, 7, 8}
	if !bytes.Equal(got, want) {
		t.Fatalf("cut = %v, want %v", got, want)
	}
	if _, err := cut(in, 4); err == nil {
		t.Fatal("cutting more items than the file holds succeeded")
	}
	if _, err := cut(in[:len(in)-1], 1); err == nil {
		t.Fatal("cutting a truncated file succeeded")
	}
}
