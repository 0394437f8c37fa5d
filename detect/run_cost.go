package detect

// MACs splits a detector's multiply-accumulates for one image.
type MACs struct {
	// Backbone counts the four stages as vit.Model.Costs does, without the
	// classifier the detector drops.
	Backbone int64 `json:"backbone"`
	// NeckHead counts the neck's and the head's convolutions.
	NeckHead int64 `json:"neck_head"`
	Total    int64 `json:"total"`
}

// MACs counts m's forward multiply-accumulates per image. Convolutions
// cost out_elements·(in_channels·K² + 1), the rule vit.Model.Costs takes
// from the authors' counter (the 1 is the bias), with every tap counted
// at the zero-padded borders too. With S the stride-4 side (OutputSide),
// r_i and d_i the side and width of stage map i, W the neck's width and
// C the classes:
//
//	laterals    Σ_i r_i²·W·(d_i + 1)
//	smooth      S²·W·(9W + 1)
//	heatmap     S²·W·(9W + 1) + S²·C·(W + 1)
//	box         S²·W·(9W + 1) + S²·4·(W + 1)
//
// The upsampling, the top-down additions and GELU cost nothing.
func (m Model) MACs() MACs {
	var c MACs
	costs := m.backbone.Costs()
	for _, s := range costs.Stages {
		c.Backbone += s.Total().MACs
	}
	w := int64(m.width)
	conv := func(side int, in, out int64, k int64) int64 {
		return int64(side) * int64(side) * out * (in*k*k + 1)
	}
	for _, s := range m.backbone.Stages() {
		c.NeckHead += conv(s.Res, int64(s.Dim), w, 1)
	}
	side := m.OutputSide()
	c.NeckHead += 3 * conv(side, w, w, 3) // smooth, heatmap.0, box.0
	c.NeckHead += conv(side, w, int64(m.classes), 1) + conv(side, w, BoxChannels, 1)
	c.Total = c.Backbone + c.NeckHead
	return c
}

// Params returns the number of parameters.
func (m Model) Params() int64 {
	var n int64
	for _, p := range m.ParamTable() {
		n += int64(p.Size())
	}
	return n
}
