package runs

import "runtime/debug"

// Version returns the tool's version as the Go build records it: the main
// module's version, followed by the VCS revision when known, or "devel".
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			return v + "+" + s.Value
		}
	}
	return v
}
