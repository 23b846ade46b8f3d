//go:build tools

// Package tools pins OpenTofu for scripts/tools.sh. OpenTofu's own go.mod
// has a replace directive, so `go install ...@version` refuses it; this
// module requires it at the pinned version, repeats the replace (OpenTofu's
// fork of hcl/v2), and scripts/tools.sh builds cmd/tofu from here.
package tools

import _ "github.com/opentofu/opentofu/cmd/tofu"
