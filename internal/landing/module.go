package landing

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// ProviderVersion is the terraform-provider-openstack the module is
// written for and pins.
const ProviderVersion = "~> 3.4"

// value is an attribute's value as HCL tokens.
type value interface{ tokens() hclwrite.Tokens }

type str string

func (s str) tokens() hclwrite.Tokens { return hclwrite.TokensForValue(cty.StringVal(string(s))) }

type num int64

func (n num) tokens() hclwrite.Tokens { return hclwrite.TokensForValue(cty.NumberIntVal(int64(n))) }

type boolean bool

func (b boolean) tokens() hclwrite.Tokens { return hclwrite.TokensForValue(cty.BoolVal(bool(b))) }

// ref is a reference such as openstack_networking_network_v2.main.id or
// var.external_network_id.
type ref string

func (r ref) tokens() hclwrite.Tokens {
	parts := strings.Split(string(r), ".")
	t := hcl.Traversal{hcl.TraverseRoot{Name: parts[0]}}
	for _, p := range parts[1:] {
		t = append(t, hcl.TraverseAttr{Name: p})
	}
	return hclwrite.TokensForTraversal(t)
}

// index is a reference into a map: var.images["web"].
type index struct {
	of  ref
	key string
}

func (i index) tokens() hclwrite.Tokens {
	t := i.of.tokens()
	t = append(t, &hclwrite.Token{Type: hclsyntax.TokenOBrack, Bytes: []byte("[")})
	t = append(t, str(i.key).tokens()...)
	t = append(t, &hclwrite.Token{Type: hclsyntax.TokenCBrack, Bytes: []byte("]")})
	return t
}

type list []value

func (l list) tokens() hclwrite.Tokens {
	elems := make([]hclwrite.Tokens, len(l))
	for i, v := range l {
		elems[i] = v.tokens()
	}
	return hclwrite.TokensForTuple(elems)
}

// attr is one attribute of a block, in the order it is written.
type attr struct {
	name string
	val  value
}

// block is a resource, variable or nested block.
type block struct {
	kind    string   // resource, variable, or a nested block's type
	labels  []string // resource type and name, variable name
	comment string   // written above the block: the AWS object it comes from
	attrs   []attr
	blocks  []block
}

func (b *block) set(name string, v value) { b.attrs = append(b.attrs, attr{name, v}) }

func (b *block) nested(kind string, attrs ...attr) {
	b.blocks = append(b.blocks, block{kind: kind, attrs: attrs})
}

// resource starts a resource block.
func resource(typ, name, comment string) *block {
	return &block{kind: "resource", labels: []string{typ, name}, comment: comment}
}

// address is a resource's address: type.name.
func (b *block) address() string { return b.labels[0] + "." + b.labels[1] }

func (b *block) write(body *hclwrite.Body) {
	if b.comment != "" {
		for _, line := range strings.Split(b.comment, "\n") {
			body.AppendUnstructuredTokens(comment(line))
		}
	}
	nb := body.AppendNewBlock(b.kind, b.labels)
	b.writeBody(nb.Body())
}

func (b *block) writeBody(body *hclwrite.Body) {
	for _, a := range b.attrs {
		body.SetAttributeRaw(a.name, a.val.tokens())
	}
	for _, n := range b.blocks {
		nb := body.AppendNewBlock(n.kind, n.labels)
		n.writeBody(nb.Body())
	}
}

// Module is a generated root module: its files by name, each formatted.
type Module struct {
	Files map[string][]byte
}

// file renders blocks into one formatted HCL file, a blank line between
// blocks.
func file(header string, blocks []*block) []byte {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	if header != "" {
		for _, line := range strings.Split(header, "\n") {
			body.AppendUnstructuredTokens(comment(line))
		}
		body.AppendNewline()
	}
	for i, b := range blocks {
		if i > 0 {
			body.AppendNewline()
		}
		b.write(body)
	}
	return hclwrite.Format(f.Bytes())
}

// Write saves the module's files into dir, creating it; existing files of
// the same names are replaced, others are left alone. Each file is written
// to a temporary name and renamed, so a failed write leaves the old one.
func (m *Module) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	for _, name := range sortedKeys(m.Files) {
		path := filepath.Join(dir, name)
		tmp, err := os.CreateTemp(dir, ".sortie-"+name+"-*")
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		_, werr := tmp.Write(m.Files[name])
		cerr := tmp.Close()
		if werr == nil {
			werr = cerr
		}
		if werr == nil {
			werr = os.Rename(tmp.Name(), path)
		}
		if werr != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("write %s: %w", path, werr)
		}
	}
	return nil
}

func comment(line string) hclwrite.Tokens {
	return hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte(strings.TrimRight("# "+line, " ") + "\n")}}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
