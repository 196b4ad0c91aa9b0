package graph

import (
	"fmt"
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/advancedclimatesystems/gonnx/ops"
	"gorgonia.org/tensor"
)

// maxpool is ONNX MaxPool (opsets 12-17) over 2-D images, NCHW: what
// torch.nn.MaxPool2d exports. gonnx v1.1.0 lacks it. Padding cells never
// win; auto_pad, ceil_mode, dilations and the Indices output are refused.
type maxpool struct {
	kernel, strides []int
	pads            []int // top, left, bottom, right
}

var _ ops.Operator = (*maxpool)(nil)

func (p *maxpool) String() string { return "MaxPool operator" }

func (p *maxpool) Init(n *onnx.NodeProto) error {
	if len(n.GetOutput()) > 1 && n.GetOutput()[1] != "" {
		return fmt.Errorf("%s: the Indices output is not supported", p)
	}
	for _, a := range n.GetAttribute() {
		ints := make([]int, len(a.GetInts()))
		for i, v := range a.GetInts() {
			ints[i] = int(v)
		}
		switch a.GetName() {
		case "kernel_shape":
			p.kernel = ints
		case "strides":
			p.strides = ints
		case "pads":
			p.pads = ints
		case "auto_pad":
			if s := string(a.GetS()); s != "NOTSET" && s != "" {
				return fmt.Errorf("%s: auto_pad %q is not supported (export with explicit pads)", p, s)
			}
		case "ceil_mode", "storage_order":
			if a.GetI() != 0 {
				return fmt.Errorf("%s: %s=%d is not supported", p, a.GetName(), a.GetI())
			}
		case "dilations":
			for _, d := range ints {
				if d != 1 {
					return fmt.Errorf("%s: dilations %v are not supported", p, ints)
				}
			}
		default:
			return fmt.Errorf("%s: unknown attribute %q", p, a.GetName())
		}
	}
	if len(p.kernel) != 2 {
		return fmt.Errorf("%s: kernel_shape %v: only 2-D pooling is supported", p, p.kernel)
	}
	if p.strides == nil {
		p.strides = []int{1, 1}
	}
	if p.pads == nil {
		p.pads = []int{0, 0, 0, 0}
	}
	if len(p.strides) != 2 || len(p.pads) != 4 {
		return fmt.Errorf("%s: strides %v, pads %v: want 2 and 4 values", p, p.strides, p.pads)
	}
	for _, v := range append(append([]int(nil), p.kernel...), p.strides...) {
		if v < 1 || v > 1<<12 {
			return fmt.Errorf("%s: kernel %v, strides %v out of range", p, p.kernel, p.strides)
		}
	}
	for _, v := range p.pads {
		if v < 0 || v > 1<<12 {
			return fmt.Errorf("%s: pads %v out of range", p, p.pads)
		}
	}
	return nil
}

func (p *maxpool) GetMinInputs() int { return 1 }
func (p *maxpool) GetMaxInputs() int { return 1 }
func (p *maxpool) GetInputTypeConstraints() [][]tensor.Dtype {
	return [][]tensor.Dtype{{tensor.Float32, tensor.Float64}}
}
func (p *maxpool) ValidateInputs(in []tensor.Tensor) ([]tensor.Tensor, error) {
	return ops.ValidateInputs(p, in)
}

func (p *maxpool) Apply(in []tensor.Tensor) ([]tensor.Tensor, error) {
	s := in[0].Shape()
	if len(s) != 4 {
		return nil, fmt.Errorf("%s: input shape %v, want [N, C, H, W]", p, s)
	}
	x, f32, err := values(in[0])
	if err != nil {
		return nil, err
	}
	n, c, h, w := s[0], s[1], s[2], s[3]
	oh := (h+p.pads[0]+p.pads[2]-p.kernel[0])/p.strides[0] + 1
	ow := (w+p.pads[1]+p.pads[3]-p.kernel[1])/p.strides[1] + 1
	if oh < 1 || ow < 1 {
		return nil, fmt.Errorf("%s: kernel %v larger than the padded input %v", p, p.kernel, s)
	}
	out := make([]float64, n*c*oh*ow)
	for img := range n * c {
		src := x[img*h*w : (img+1)*h*w]
		dst := out[img*oh*ow : (img+1)*oh*ow]
		for i := range oh {
			for j := range ow {
				m := math.Inf(-1)
				for ki := range p.kernel[0] {
					r := i*p.strides[0] - p.pads[0] + ki
					if r < 0 || r >= h {
						continue
					}
					for kj := range p.kernel[1] {
						col := j*p.strides[1] - p.pads[1] + kj
						if col < 0 || col >= w {
							continue
						}
						m = max(m, src[r*w+col])
					}
				}
				dst[i*ow+j] = m
			}
		}
	}
	shape := []int{n, c, oh, ow}
	if f32 {
		o := make([]float32, len(out))
		for i, v := range out {
			o[i] = float32(v)
		}
		return []tensor.Tensor{tensor.New(tensor.WithShape(shape...), tensor.WithBacking(o))}, nil
	}
	return []tensor.Tensor{tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out))}, nil
}
