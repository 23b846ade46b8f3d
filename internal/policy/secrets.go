package policy

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Secrets is the file apply writes the new users' keys to and probe reads
// them from. It is written with mode 0600 and never printed.
type Secrets struct {
	Endpoint string                `json:"endpoint"`
	Users    map[string]Credential `json:"users"`
}

// Credential is one user's key pair on the target.
type Credential struct {
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
}

// LoadSecrets reads path; a missing file is an empty set. A file others
// may read is refused: it holds every migrated user's secret.
func LoadSecrets(path string) (*Secrets, error) {
	s := &Secrets{Users: map[string]Credential{}}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, Errorf("s.read", path, errors.Unwrap(err))
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, Errorf("s.mode", path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, Errorf("s.read", path, errors.Unwrap(err))
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, Errorf("s.json", path, err)
	}
	if s.Users == nil {
		s.Users = map[string]Credential{}
	}
	return s, nil
}

// Save writes the file atomically, readable by its owner only.
func (s *Secrets) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sortie-secrets-*")
	if err != nil {
		return Errorf("s.write", path, errors.Unwrap(err))
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return Errorf("s.write", path, err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return Errorf("s.write", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return Errorf("s.write", path, err)
	}
	if err := tmp.Close(); err != nil {
		return Errorf("s.write", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return Errorf("s.write", path, errors.Unwrap(err))
	}
	return nil
}

// NewSecret returns a 40-character secret key (MinIO's maximum) of the
// system's random source: 200 bits in base32.
func NewSecret() string {
	return (rand.Text() + rand.Text())[:40]
}
