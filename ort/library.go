package ort

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	onnxruntime "github.com/yalue/onnxruntime_go"
)

// LibraryEnv names the environment variable that, when set, is the only place
// Init looks for the ONNX Runtime shared library.
const LibraryEnv = "ONNXRUNTIME_LIB"

// cacheLibrary is where scripts/install-ort.sh puts the library, relative to
// the repository root.
var cacheLibrary = filepath.Join(".cache", "onnxruntime", "libonnxruntime.so.1")

var (
	systemDirs  = []string{"/usr/lib", "/usr/local/lib", "/usr/lib/x86_64-linux-gnu"}
	systemNames = []string{"libonnxruntime.so.1", "libonnxruntime.so"}
)

// ErrLibraryNotFound is wrapped by the error Init returns when no ONNX Runtime
// shared library exists at any of the places it looks.
var ErrLibraryNotFound = errors.New("onnx runtime library not found")

var (
	initOnce   sync.Once
	initErr    error
	loadedPath atomic.Pointer[string]
)

// Init finds and loads the ONNX Runtime shared library and creates the
// process-wide runtime environment. Only the first call does any work; later
// and concurrent calls wait for it and return its result, so a failure is
// permanent for the process. Every other function that needs the library
// calls Init itself; calling it first only surfaces a missing library early.
//
// The environment lives until the process exits. Its log level is "fatal",
// so the runtime never writes to the terminal: problems come back as errors.
func Init() error {
	initOnce.Do(func() {
		path, err := locateLibrary()
		if err == nil {
			err = loadLibrary(path)
		}
		if err != nil {
			initErr = fmt.Errorf("init onnx runtime: %w", err)
			return
		}
		loadedPath.Store(&path)
	})
	return initErr
}

// LibraryPath returns the path of the loaded ONNX Runtime library, or "" when
// Init has not yet succeeded.
func LibraryPath() string {
	if p := loadedPath.Load(); p != nil {
		return *p
	}
	return ""
}

// Version returns the version string of the loaded ONNX Runtime library (for
// example "1.30.0"), or "" when Init has not yet succeeded.
func Version() string {
	if LibraryPath() == "" {
		return ""
	}
	return onnxruntime.GetVersion()
}

// locateLibrary runs findLibrary on this process's environment, working
// directory and executable.
func locateLibrary() (string, error) {
	env := os.Getenv(LibraryEnv)
	cwd, _ := os.Getwd()      // "" skips the working-directory search
	exe, _ := os.Executable() // "" skips the executable search
	path, tried := findLibrary(env, cwd, exe, isFile)
	if path == "" {
		return "", notFoundError(env, tried)
	}
	return path, nil
}

// findLibrary returns the first existing candidate for the ONNX Runtime
// library and every candidate it checked, in order:
//
//  1. env, the value of ONNXRUNTIME_LIB, when not empty (and nothing else);
//  2. .cache/onnxruntime/libonnxruntime.so.1 in cwd and each of its parents;
//  3. the same under the directory of exe and each of its parents;
//  4. libonnxruntime.so.1 and libonnxruntime.so in the system library dirs.
//
// It returns "" when no candidate exists. It touches the file system only
// through exists.
func findLibrary(env, cwd, exe string, exists func(string) bool) (found string, tried []string) {
	if env != "" {
		tried = []string{env}
		if exists(env) {
			return env, tried
		}
		return "", tried
	}
	var candidates []string
	for _, start := range []string{cwd, dirOf(exe)} {
		for _, dir := range dirAndParents(start) {
			candidates = append(candidates, filepath.Join(dir, cacheLibrary))
		}
	}
	for _, dir := range systemDirs {
		for _, name := range systemNames {
			candidates = append(candidates, filepath.Join(dir, name))
		}
	}
	seen := make(map[string]bool, len(candidates))
	for _, c := range candidates {
		if seen[c] {
			continue
		}
		seen[c] = true
		tried = append(tried, c)
		if exists(c) {
			return c, tried
		}
	}
	return "", tried
}

// notFoundError explains where findLibrary looked and what to do about it.
func notFoundError(env string, tried []string) error {
	if env != "" {
		return fmt.Errorf("%w: %s=%s does not exist; point it at libonnxruntime.so.1 or unset it to search the defaults",
			ErrLibraryNotFound, LibraryEnv, env)
	}
	return fmt.Errorf("%w: looked in %s; run `bash scripts/install-ort.sh` from the repository root or set %s to the library's path",
		ErrLibraryNotFound, strings.Join(tried, ", "), LibraryEnv)
}

// loadLibrary loads the library at path and creates the runtime environment.
func loadLibrary(path string) error {
	onnxruntime.SetSharedLibraryPath(path)
	if err := onnxruntime.InitializeEnvironment(onnxruntime.WithLogLevelFatal()); err != nil {
		return fmt.Errorf("load library %s: %w", path, err)
	}
	return nil
}

// dirAndParents lists dir, its parent, and so on up to the root; nothing for
// an empty or relative dir.
func dirAndParents(dir string) []string {
	if !filepath.IsAbs(dir) {
		return nil
	}
	dir = filepath.Clean(dir)
	dirs := []string{dir}
	for parent := filepath.Dir(dir); parent != dir; parent = filepath.Dir(dir) {
		dir = parent
		dirs = append(dirs, dir)
	}
	return dirs
}

// dirOf is filepath.Dir, except that it keeps "" for an unknown path.
func dirOf(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Dir(path)
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}
