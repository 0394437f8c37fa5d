package cli

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersed reorders args (args[0] is the program name) so that flags
// may follow positional arguments, as in "asvit info ARCH --json": Go's flag
// parsing, which urfave/cli uses, stops at the first positional argument.
// Global flags given after the command move before it, the command's flags
// right after it (after its subcommand, as in "asvit bench step", when the
// first argument after the command names one), then "--" when a positional
// argument starts with "-", then the positional arguments in their order.
// Everything after "--" stays positional. A flag whose name is unknown is
// kept as given, without a value, so parsing reports it. It also returns
// the command's name, followed by the subcommand's after a space, or "".
func interspersed(app *cli.App, args []string) (out []string, command string) {
	if len(args) == 0 {
		return args, ""
	}
	globals := valueFlags(append(slices.Clone(app.Flags), cli.HelpFlag, cli.VersionFlag))
	var cmd *cli.Command
	var locals map[string]bool
	var global, local, positional []string
	var sub string
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		name, isFlag := flagName(a)
		if !isFlag {
			switch {
			case command == "":
				command = a
				if cmd = app.Command(a); cmd != nil {
					locals = valueFlags(append(slices.Clone(cmd.Flags), cli.HelpFlag))
				}
			case cmd != nil && sub == "" && len(positional) == 0 && len(local) == 0 && cmd.Command(a) != nil:
				sub = a
				locals = valueFlags(append(slices.Clone(cmd.Command(a).Flags), cli.HelpFlag))
			default:
				positional = append(positional, a)
			}
			continue
		}
		_, isGlobal := globals[name]
		v, isLocal := locals[name]
		dst, takesValue := &global, globals[name]
		if isLocal || (command != "" && !isGlobal) {
			dst, takesValue = &local, v
		}
		*dst = append(*dst, a)
		if takesValue && !strings.Contains(a, "=") && i+1 < len(args) {
			i++
			*dst = append(*dst, args[i])
		}
	}
	out = append([]string{args[0]}, global...)
	if command != "" {
		out = append(out, command)
	}
	if sub != "" {
		out = append(out, sub)
		command += " " + sub
	}
	out = append(out, local...)
	if slices.ContainsFunc(positional, func(p string) bool { return strings.HasPrefix(p, "-") }) {
		out = append(out, "--")
	}
	return append(out, positional...), command
}

// knownCommand reports whether command, as interspersed returns it, names
// a command of app.
func knownCommand(app *cli.App, command string) bool {
	name, _, _ := strings.Cut(command, " ")
	return name != "" && app.Command(name) != nil
}

// flagName returns the name of a flag argument ("-x", "--name", "--name=v").
func flagName(a string) (string, bool) {
	if len(a) < 2 || a[0] != '-' {
		return "", false
	}
	name := strings.TrimLeft(a, "-")
	if i := strings.IndexByte(name, '='); i >= 0 {
		name = name[:i]
	}
	return name, true
}

// valueFlags maps every name and alias of flags to whether it takes a value.
func valueFlags(flags []cli.Flag) map[string]bool {
	m := map[string]bool{}
	for _, f := range flags {
		takesValue := true
		if d, ok := f.(cli.DocGenerationFlag); ok {
			takesValue = d.TakesValue()
		}
		for _, n := range f.Names() {
			m[n] = takesValue
		}
	}
	return m
}
