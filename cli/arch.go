package cli

import (
	"github.com/urfave/cli/v2"

	"github.com/asvit/asvit/vit"
)

// archFlag is the --arch flag of the commands that also take the topology
// as their positional ARCH (see archArgument), bound to dst.
func archFlag(dst *string) cli.Flag {
	return &cli.StringFlag{Name: "arch", Destination: dst,
		Usage: "topology, as export, train and scale take it; the same as the positional ARCH"}
}

// archArgument returns the topology of a command that takes it as --arch
// (flag, "" when not given) or as its one optional positional argument.
// Both given and naming different topologies is a usage error; "" means
// neither was given.
func archArgument(c *cli.Context, flag string) (string, error) {
	args, err := requireArgs(c, 0, 1, "one ARCH")
	if err != nil {
		return "", err
	}
	switch {
	case len(args) == 0:
		return flag, nil
	case flag == "" || sameArch(flag, args[0]):
		return args[0], nil
	}
	return "", usagef("ARCH %q and --arch %q name different topologies; give one of them", args[0], flag)
}

// sameArch reports whether two topology strings name the same topology
// (the seed and scaled forms of one network are the same).
func sameArch(a, b string) bool {
	if a == b {
		return true
	}
	ta, errA := vit.Parse(a)
	tb, errB := vit.Parse(b)
	return errA == nil && errB == nil && ta == tb
}
