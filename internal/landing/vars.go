package landing

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

func (o object) tokens() hclwrite.Tokens {
	attrs := make([]hclwrite.ObjectAttrTokens, len(o))
	for i, a := range o {
		attrs[i] = hclwrite.ObjectAttrTokens{Name: hclwrite.TokensForIdentifier(a.name), Value: a.val.tokens()}
	}
	return hclwrite.TokensForObject(attrs)
}

// typeExpr is a type constraint such as map(string).
type typeExpr string

func (t typeExpr) tokens() hclwrite.Tokens {
	name, arg, ok := strings.Cut(strings.TrimSuffix(string(t), ")"), "(")
	if !ok {
		return hclwrite.TokensForIdentifier(name)
	}
	return hclwrite.TokensForFunctionCall(name, hclwrite.TokensForIdentifier(arg))
}

// stringMap is a map of strings as an object value, keys sorted.
func stringMap(m map[string]string) object {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	o := make(object, len(keys))
	for i, k := range keys {
		o[i] = attr{k, str(m[k])}
	}
	return o
}

// variablesFile declares what only the operator knows.
func (t *translator) variablesFile() []byte {
	v := func(name, typ, desc string, def value) *block {
		b := &block{kind: "variable", labels: []string{name}}
		b.set("type", typeExpr(typ))
		b.set("description", str(desc))
		if def != nil {
			b.set("default", def)
		}
		return b
	}
	blocks := []*block{
		v("external_network_id", "string", "ID of the provider's external (public) network, for the routers' gateways: openstack network list --external", nil),
		v("external_network_name", "string", "name of the same external network, the pool floating IPs come from", nil),
		v("images", "map(string)", "Glance image ID to boot each machine from, by machine name (the AWS AMI is in the comment): its disk's contents move in a later step", nil),
		v("flavours", "map(string)", "flavour of each machine: the SCS flavour that holds its AWS type; override where the provider names them otherwise", stringMap(t.flavours)),
		v("public_keys", "map(string)", "public keys AWS did not return, by key pair name", object{}),
	}
	return file("What only the operator knows. terraform.tfvars holds placeholders that\nlet tofu plan run; replace them before tofu apply.", blocks)
}

// tfvarsFile gives every required variable a placeholder, so that the
// module plans as written.
func (t *translator) tfvarsFile() []byte {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	body.AppendUnstructuredTokens(comment("Placeholders: replace each before tofu apply (tofu plan runs with them)."))
	body.AppendNewline()
	body.SetAttributeRaw("external_network_id", str(placeholderUUID).tokens())
	body.SetAttributeRaw("external_network_name", str("REPLACE-external-network").tokens())
	images := map[string]string{}
	for name := range t.images {
		images[name] = placeholderUUID
	}
	body.SetAttributeRaw("images", stringMap(images).tokens())
	keys := map[string]string{}
	for name := range t.publicKeys {
		keys[name] = "ssh-ed25519 REPLACE-with-the-public-key " + name
	}
	body.SetAttributeRaw("public_keys", stringMap(keys).tokens())
	var amis []string
	for _, name := range sortedKeys(t.images) {
		amis = append(amis, fmt.Sprintf("%s: %s", name, t.images[name]))
	}
	if len(amis) > 0 {
		body.AppendNewline()
		body.AppendUnstructuredTokens(comment("The AWS images the machines ran: " + strings.Join(amis, ", ")))
	}
	return hclwrite.Format(f.Bytes())
}

const placeholderUUID = "00000000-0000-0000-0000-000000000000"
