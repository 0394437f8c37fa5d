package complexity

import (
	"hash/fnv"
	"math/rand/v2"

	"github.com/asvit/asvit/vit"
)

// Every random draw of a run comes from Settings.Seed through one of these
// streams, so a run is reproducible and its parts are independent: the κ
// batch, each repeat's curve basis, and the weights of each (topology,
// repeat).

// stream returns the PCG stream for (seed, purpose, i).
func stream(seed uint64, purpose string, i uint64) *rand.Rand {
	hi := mix(seed ^ mix(hashString(purpose)))
	return rand.New(rand.NewPCG(hi, mix(hi^mix(i))))
}

// WeightSeed returns the vit.Model.InitInto seed of repeat r of top under
// the measurer seed. It depends on the topology's canonical string, so
// equal topologies get equal weights and different ones unrelated weights.
func WeightSeed(seed uint64, top vit.Topology, r int) uint64 {
	return mix(mix(seed^mix(hashString("weights "+top.ScaledString()))) ^ uint64(r))
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// mix is SplitMix64's finaliser: neighbouring inputs give unrelated outputs.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
