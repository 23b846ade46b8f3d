// Package tofutest runs the real OpenTofu with the real OpenStack provider
// on modules that tests generate (the landing zone's), offline: tofu init
// through a filesystem mirror, tofu validate, tofu plan and its JSON, and
// tofu test with mock providers.
//
// It does not build them: scripts/test does, at pinned versions, into the
// tools cache, and says where through SORTIE_TOFU and SORTIE_TOFU_MIRROR.
// A test that needs tofu fails — it never skips — when they cannot be
// found, so a green suite always means the generated code went through the
// real tools.
//
// Every command runs in an environment made for the test and nothing else:
// a CLI config whose only provider source is the mirror (so nothing can be
// downloaded), a fresh HOME and data directory, no OS_* or proxy variables
// from the machine, and OS_AUTH_URL pointing at a loopback listener of the
// test's own. A plan of creations must not authenticate (the provider
// delays authentication until it needs the API); a command during which
// anything connects to that listener fails, with what was asked.
//
// It is not for applying to a real cloud, nor for generating HCL (the
// landing package does).
package tofutest
