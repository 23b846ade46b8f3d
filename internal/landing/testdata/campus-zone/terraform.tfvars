# Placeholders: replace each before tofu apply (tofu plan runs with them).

external_network_id   = "00000000-0000-0000-0000-000000000000"
external_network_name = "REPLACE-external-network"
images = {
  gpu_lab_win = "00000000-0000-0000-0000-000000000000"
  moodle_app  = "00000000-0000-0000-0000-000000000000"
}
public_keys = {
  lab_legacy = "ssh-ed25519 REPLACE-with-the-public-key lab_legacy"
}

# The AWS images the machines ran: gpu_lab_win: ami-0e5c1a7b3d9f20002, moodle_app: ami-0ca1000000009a001
