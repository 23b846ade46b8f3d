package tofutest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Plan is a saved plan as tofu show -json describes it (OpenTofu's JSON
// output format, format_version 1.x).
type Plan struct {
	// JSON is the whole document, for what the typed views leave out.
	JSON map[string]any

	changes []Change
	config  jsonModule
}

// Change is one entry of the plan's resource_changes: what will happen to
// one resource instance.
type Change struct {
	// Address is the instance's full address, with module path and key:
	// openstack_networking_network_v2.web, module.a.x.y["k"].
	Address string
	// Mode is "managed" for a resource, "data" for a data source.
	Mode       string
	Type, Name string
	// Actions are tofu's: ["create"], ["no-op"], ["update"],
	// ["delete", "create"], ...
	Actions []string
	// After holds the attributes known at plan time, as JSON decodes them
	// (numbers are float64). Attributes known only after apply, such as an
	// id, or a reference to one, are absent here and true in AfterUnknown.
	After        map[string]any
	AfterUnknown map[string]any
}

// ResourceChanges returns the plan's resource changes, in tofu's order
// (by address).
func (p *Plan) ResourceChanges() []Change { return p.changes }

// References returns what the configuration of the resource at address
// (type.name, with module.NAME. prefixes for a module's, no instance key)
// refers to in its attribute attr: tofu lists a reference and its prefixes,
// for example openstack_networking_secgroup_v2.web.id and
// openstack_networking_secgroup_v2.web. A reference is how a test sees what
// a plan cannot show yet: a subnet's network_id is unknown until the
// network exists, but it refers to that network.
func (p *Plan) References(address, attr string) []string {
	r, ok := p.config.resource(address)
	if !ok {
		return nil
	}
	var e struct{ References []string }
	if raw, ok := r.Expressions[attr]; !ok || json.Unmarshal(raw, &e) != nil {
		return nil
	}
	return e.References
}

type jsonPlan struct {
	ResourceChanges []struct {
		Address, Mode, Type, Name string
		Change                    struct {
			Actions      []string
			After        map[string]any
			AfterUnknown json.RawMessage `json:"after_unknown"`
		}
	} `json:"resource_changes"`
	Configuration struct {
		RootModule jsonModule `json:"root_module"`
	}
}

type jsonResource struct {
	Address     string
	Expressions map[string]json.RawMessage
}

type jsonModule struct {
	Resources   []jsonResource
	ModuleCalls map[string]struct {
		Module jsonModule
	} `json:"module_calls"`
}

// resource finds a resource's configuration by its module-qualified
// address; the JSON gives each module's resources module-relative ones.
func (m jsonModule) resource(address string) (jsonResource, bool) {
	for _, r := range m.Resources {
		if r.Address == address {
			return r, true
		}
	}
	for name, call := range m.ModuleCalls {
		prefix := "module." + name + "."
		if rest, ok := strings.CutPrefix(address, prefix); ok {
			if r, ok := call.Module.resource(rest); ok {
				return r, true
			}
		}
	}
	return struct {
		Address     string
		Expressions map[string]json.RawMessage
	}{}, false
}

func decodePlan(data []byte) (*Plan, error) {
	p := &Plan{}
	if err := json.Unmarshal(data, &p.JSON); err != nil {
		return nil, err
	}
	var v jsonPlan
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	for _, rc := range v.ResourceChanges {
		c := Change{Address: rc.Address, Mode: rc.Mode, Type: rc.Type, Name: rc.Name, Actions: rc.Change.Actions, After: rc.Change.After}
		// after_unknown is an object for a resource with some unknown
		// attributes, and may be true for one wholly unknown.
		if len(rc.Change.AfterUnknown) > 0 && rc.Change.AfterUnknown[0] == '{' {
			if err := json.Unmarshal(rc.Change.AfterUnknown, &c.AfterUnknown); err != nil {
				return nil, fmt.Errorf("%s: after_unknown: %w", rc.Address, err)
			}
		}
		p.changes = append(p.changes, c)
	}
	p.config = v.Configuration.RootModule
	return p, nil
}
