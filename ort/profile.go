package ort

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// ONNX Runtime names a session's profile file prefix + "_" + the local time
// of the session's creation + ".json" (2006-01-02_15-04-05 in older
// releases, with _000 milliseconds added in 1.30), opens it when the
// session is created and writes the events into it when the session is
// released. Two sessions given one prefix at the same moment would write
// to one file, so each session gets a prefix of its own: Options.Profile,
// the process id and a number that names no file yet, as in
// PREFIX-PID-N_2006-01-02_15-04-05_000.json.

// maxProfileTries bounds the search for an unused session prefix.
const maxProfileTries = 1 << 16

var profiles struct {
	mu      sync.Mutex
	next    int                 // the next number tried
	written map[string][]string // Options.Profile → files of destroyed sessions
}

// reserveProfile returns a session prefix under prefix (valid, see
// Options.Validate) that names no existing file, creating prefix's
// directory.
func reserveProfile(prefix string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
		return "", fmt.Errorf("profile directory: %w", err)
	}
	profiles.mu.Lock()
	defer profiles.mu.Unlock()
	for range maxProfileTries {
		profiles.next++
		p := fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), profiles.next)
		found, err := profileFiles(p)
		if err != nil {
			return "", err
		}
		if len(found) == 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("profile prefix %q: no unused file name after %d tries; clear old profiles out of %s", prefix, maxProfileTries, filepath.Dir(prefix))
}

// profileFiles lists the files ONNX Runtime may have made for a session
// prefix.
func profileFiles(sessionPrefix string) ([]string, error) {
	found, err := filepath.Glob(globEscape(sessionPrefix) + "_*.json")
	if err != nil {
		return nil, fmt.Errorf("profile prefix %q: %w", sessionPrefix, err)
	}
	return found, nil
}

// findProfile returns the one file ONNX Runtime made for a session prefix,
// "" when there is none yet.
func findProfile(sessionPrefix string) (string, error) {
	found, err := profileFiles(sessionPrefix)
	switch {
	case err != nil:
		return "", err
	case len(found) > 1:
		return "", fmt.Errorf("profile prefix %q: %d files match (%s); expected one", sessionPrefix, len(found), strings.Join(found, ", "))
	case len(found) == 0:
		return "", nil
	}
	return found[0], nil
}

// globEscape quotes the characters filepath.Match treats specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ProfilePath returns the file of the session's profile, "" when the
// session does not profile (Options.Profile is ""). The file is complete
// only once the session is destroyed (before, it is empty); after Destroy,
// err reports a profile that ONNX Runtime did not write.
func (s *Session) ProfilePath() (path string, err error) {
	if s == nil {
		return "", nil
	}
	return s.profile, s.profileErr
}

// ProfilePaths returns the profiles written so far by the destroyed
// sessions of this process that were created with Options.Profile equal to
// prefix, in the order they were destroyed. Profiles of sessions still
// alive are not listed: they are not written yet.
func ProfilePaths(prefix string) []string {
	profiles.mu.Lock()
	defer profiles.mu.Unlock()
	return append([]string(nil), profiles.written[prefix]...)
}

// finishProfile runs once the session is released: it finds the profile
// file if it was not found at creation, checks that ONNX Runtime wrote it
// and records it for ProfilePaths. A profile that is missing or empty is
// not recorded.
func (s *Session) finishProfile() error {
	if s.profilePrefix == "" {
		return nil
	}
	if s.profile == "" {
		p, err := findProfile(s.profilePrefix)
		if err != nil {
			return err
		}
		if p == "" {
			return fmt.Errorf("onnx runtime wrote no profile for prefix %q", s.profilePrefix)
		}
		s.profile = p
	}
	info, err := os.Stat(s.profile)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if info.Size() == 0 {
		return fmt.Errorf("profile %s is empty after the session was released", s.profile)
	}
	profiles.mu.Lock()
	defer profiles.mu.Unlock()
	if profiles.written == nil {
		profiles.written = map[string][]string{}
	}
	profiles.written[s.profileKey] = append(profiles.written[s.profileKey], s.profile)
	return nil
}
