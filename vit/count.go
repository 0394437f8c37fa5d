package vit

// Cost is a number of parameters and of multiply-accumulates (MACs) for one
// image.
type Cost struct {
	Params, MACs int64
}

func (c Cost) plus(o Cost) Cost { return Cost{c.Params + o.Params, c.MACs + o.MACs} }

// StageCost splits one stage's cost.
type StageCost struct {
	// Embed is the patch embedding's convolution and norm for stage 1, and
	// for later stages the re-embedding that feeds them (named
	// layers.{i-1}.downsample in the parameter table).
	Embed Cost
	// Attention covers norm1, qkv, the matmuls q·kᵀ and attn·v, and proj
	// of every block.
	Attention Cost
	// FFN covers the FFN's norm, fc1 and fc2 of every block.
	FFN Cost
}

// Total returns the sum of the stage's parts.
func (s StageCost) Total() Cost { return s.Embed.plus(s.Attention).plus(s.FFN) }

// Costs splits a model's cost by stage.
type Costs struct {
	Stages [NumStages]StageCost
	Head   Cost // final norm, the two token means and the two head layers
}

// Total returns the whole model's cost.
func (c Costs) Total() Cost {
	t := c.Head
	for _, s := range c.Stages {
		t = t.plus(s.Total())
	}
	return t
}

// Costs counts parameters and MACs part by part, as the authors' counter
// (their modified thop) does at batch 1:
//   - a convolution costs out_elements·(in_channels·K² + 1), the 1 being its bias;
//   - a linear layer costs out_elements·in_features (its bias is free);
//   - q·kᵀ and attn·v each cost windows·heads·N²·head_dim, N tokens per window;
//   - each of the two token means before the head costs nf·(tokens + 1).
//
// LayerNorm, softmax, GELU, tanh, the q scaling, padding, unfold and the
// residual adds cost nothing.
func (m Model) Costs() Costs {
	var c Costs
	for i, g := range m.stages {
		e := g.Embed
		k2 := int64(e.Kernel * e.Kernel)
		out := int64(g.Tokens)
		if i == 0 {
			conv := Cost{
				Params: int64(e.InChannels)*int64(g.Dim)*k2 + int64(g.Dim),
				MACs:   out * int64(g.Dim) * (int64(e.InChannels)*k2 + 1),
			}
			c.Stages[i].Embed = conv.plus(norm(g.Dim))
		} else {
			in := int64(e.InChannels) * k2
			c.Stages[i].Embed = norm(int(in)).plus(linear(in, int64(g.Dim), out, false))
		}
		d, inner, f := int64(g.Dim), int64(g.Inner), int64(g.FFNHidden)
		n := int64(g.WindowTokens())
		attn := norm(g.Dim).
			plus(linear(d, 3*inner, out, true)).
			plus(Cost{MACs: 2 * out * n * inner}). // windows·heads·N²·head_dim, twice
			plus(linear(inner, d, out, true))
		ffn := norm(g.Dim).plus(linear(d, f, out, true)).plus(linear(f, d, out, true))
		c.Stages[i].Attention = times(attn, g.Depth)
		c.Stages[i].FFN = times(ffn, g.Depth)
	}
	last := m.stages[NumStages-1]
	nf := int64(m.spec.Features())
	c.Head = norm(int(nf)).
		plus(Cost{MACs: 2 * nf * int64(last.Tokens+1)}).
		plus(linear(nf, nf, 1, true)).
		plus(linear(nf, int64(m.spec.Classes), 1, true))
	return c
}

// linear is a Linear(in→out) applied to tokens rows.
func linear(in, out, tokens int64, bias bool) Cost {
	c := Cost{Params: in * out, MACs: tokens * out * in}
	if bias {
		c.Params += out
	}
	return c
}

// norm is a LayerNorm over dim features: weight and bias, no MACs.
func norm(dim int) Cost { return Cost{Params: 2 * int64(dim)} }

func times(c Cost, n int) Cost { return Cost{c.Params * int64(n), c.MACs * int64(n)} }

// Params returns the number of parameters.
func (m Model) Params() int64 { return m.Costs().Total().Params }

// MACs returns the multiply-accumulates for one image, counted as Costs
// describes.
func (m Model) MACs() int64 { return m.Costs().Total().MACs }

// FLOPs returns 2·MACs. (What the paper calls FLOPs are MACs.)
func (m Model) FLOPs() int64 { return 2 * m.MACs() }
