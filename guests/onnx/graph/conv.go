package graph

import (
	"fmt"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/advancedclimatesystems/gonnx/ops"
	"gorgonia.org/tensor"
)

// conv replaces gonnx's Conv for 2-D images (NCHW), which fails on a batch
// of one row and, through gorgonia's matrix product, gave a row other last
// bits in another batch. Each output element is one sum, in float64 in
// index order (channel, kernel row, kernel column), plus the bias, rounded
// once. Groups, strides, pads and dilations are supported; auto_pad is
// refused.
type conv struct {
	kernel, strides, pads, dilations []int
	group                            int
}

var _ ops.Operator = (*conv)(nil)

func (p *conv) String() string { return "Conv operator" }

func (p *conv) Init(n *onnx.NodeProto) error {
	p.group = 1
	for _, a := range n.GetAttribute() {
		ints := make([]int, len(a.GetInts()))
		for i, v := range a.GetInts() {
			if v < 0 || v > 1<<12 {
				return fmt.Errorf("%s: %s %v out of range", p, a.GetName(), a.GetInts())
			}
			ints[i] = int(v)
		}
		switch a.GetName() {
		case "kernel_shape":
			p.kernel = ints
		case "strides":
			p.strides = ints
		case "pads":
			p.pads = ints
		case "dilations":
			p.dilations = ints
		case "group":
			p.group = int(a.GetI())
		case "auto_pad":
			if s := string(a.GetS()); s != "NOTSET" && s != "" {
				return fmt.Errorf("%s: auto_pad %q is not supported (export with explicit pads)", p, s)
			}
		default:
			return fmt.Errorf("%s: unknown attribute %q", p, a.GetName())
		}
	}
	if p.strides == nil {
		p.strides = []int{1, 1}
	}
	if p.pads == nil {
		p.pads = []int{0, 0, 0, 0}
	}
	if p.dilations == nil {
		p.dilations = []int{1, 1}
	}
	if len(p.strides) != 2 || len(p.pads) != 4 || len(p.dilations) != 2 || (p.kernel != nil && len(p.kernel) != 2) {
		return fmt.Errorf("%s: only 2-D convolutions are supported (strides %v, pads %v, dilations %v, kernel %v)", p, p.strides, p.pads, p.dilations, p.kernel)
	}
	for _, v := range append(append([]int(nil), p.strides...), p.dilations...) {
		if v < 1 {
			return fmt.Errorf("%s: strides %v, dilations %v must be positive", p, p.strides, p.dilations)
		}
	}
	if p.group < 1 || p.group > 1<<16 {
		return fmt.Errorf("%s: group %d", p, p.group)
	}
	return nil
}

func (p *conv) GetMinInputs() int { return 2 }
func (p *conv) GetMaxInputs() int { return 3 }
func (p *conv) GetInputTypeConstraints() [][]tensor.Dtype {
	f := []tensor.Dtype{tensor.Float32, tensor.Float64}
	return [][]tensor.Dtype{f, f, f}
}
func (p *conv) ValidateInputs(in []tensor.Tensor) ([]tensor.Tensor, error) {
	return ops.ValidateInputs(p, in)
}

func (p *conv) Apply(in []tensor.Tensor) ([]tensor.Tensor, error) {
	xs, ws := in[0].Shape(), in[1].Shape()
	if len(xs) != 4 || len(ws) != 4 {
		return nil, fmt.Errorf("%s: X %v and W %v, want 4-D (only 2-D convolutions are supported)", p, xs, ws)
	}
	x, f32, err := values(in[0])
	if err != nil {
		return nil, err
	}
	w, _, err := values(in[1])
	if err != nil {
		return nil, err
	}
	var bias []float64
	if len(in) > 2 && in[2] != nil {
		if bias, _, err = values(in[2]); err != nil {
			return nil, err
		}
	}
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	m, cg, kh, kw := ws[0], ws[1], ws[2], ws[3]
	if p.kernel != nil && (p.kernel[0] != kh || p.kernel[1] != kw) {
		return nil, fmt.Errorf("%s: kernel_shape %v, W is %v", p, p.kernel, ws)
	}
	g := p.group
	if c != cg*g || m%g != 0 || (bias != nil && len(bias) != m) {
		return nil, fmt.Errorf("%s: X %v, W %v, group %d, %d biases do not fit", p, xs, ws, g, len(bias))
	}
	ekh, ekw := (kh-1)*p.dilations[0]+1, (kw-1)*p.dilations[1]+1
	oh := (h+p.pads[0]+p.pads[2]-ekh)/p.strides[0] + 1
	ow := (wd+p.pads[1]+p.pads[3]-ekw)/p.strides[1] + 1
	if oh < 1 || ow < 1 {
		return nil, fmt.Errorf("%s: kernel %dx%d larger than the padded input %v", p, kh, kw, xs)
	}
	if total := n * m * oh * ow; total > MaxTensorElements {
		return nil, fmt.Errorf("%s: output of %d elements, limit is %d", p, total, MaxTensorElements)
	}
	out := make([]float64, n*m*oh*ow)
	mg := m / g
	for b := range n {
		for oc := range m {
			grp := oc / mg
			for i := range oh {
				for j := range ow {
					var s float64
					for ic := range cg {
						xc := x[(b*c+grp*cg+ic)*h*wd:]
						wc := w[(oc*cg+ic)*kh*kw:]
						for ki := range kh {
							r := i*p.strides[0] - p.pads[0] + ki*p.dilations[0]
							if r < 0 || r >= h {
								continue
							}
							for kj := range kw {
								col := j*p.strides[1] - p.pads[1] + kj*p.dilations[1]
								if col < 0 || col >= wd {
									continue
								}
								s += xc[r*wd+col] * wc[ki*kw+kj]
							}
						}
					}
					if bias != nil {
						s += bias[oc]
					}
					out[((b*m+oc)*oh+i)*ow+j] = s
				}
			}
		}
	}
	shape := []int{n, m, oh, ow}
	if f32 {
		o := make([]float32, len(out))
		for i, v := range out {
			o[i] = float32(v)
		}
		return []tensor.Tensor{tensor.New(tensor.WithShape(shape...), tensor.WithBacking(o))}, nil
	}
	return []tensor.Tensor{tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out))}, nil
}
