package s3

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/sortie-dev/sortie/internal/awsconfig"
	"github.com/sortie-dev/sortie/internal/store"
)

// A server that fails every request with 500 InternalError, counting them
// by method and query.
type failing struct {
	mu    sync.Mutex
	calls map[string]int
}

func (f *failing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := r.Method
	if r.URL.Query().Has("partNumber") && r.Method == http.MethodPut {
		op = "UploadPart"
	}
	f.mu.Lock()
	f.calls[op]++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusInternalServerError)
	if r.Method != http.MethodHead {
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>boom</Message></Error>`))
	}
}

func (f *failing) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// The SDK makes one attempt at a data request, whose caller retries it
// (package retry), and MaxAttempts at a control request, which nobody
// else retries: one layer each, never both.
func TestOneRetryLayerPerRequest(t *testing.T) {
	f := &failing{calls: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	s, err := New(ctx, Config{Bucket: "b", AWS: awsconfig.Options{Endpoint: srv.URL, AccessKey: "k", SecretKey: "s", Region: "us-east-1", MaxAttempts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("x")
	for _, tc := range []struct {
		op   string
		call func() error
		want int
	}{
		{"GET", func() error { _, _, err := s.Open(ctx, "k", store.ReadOptions{Length: -1}); return err }, 1},
		{"PUT", func() error {
			_, err := s.Put(ctx, store.PutInput{Key: "k", Body: bytes.NewReader(body), Size: 1})
			return err
		}, 1},
		{"UploadPart", func() error {
			_, err := s.UploadPart(ctx, "k", "id", 1, bytes.NewReader(body), 1, nil)
			return err
		}, 1},
		{"HEAD", func() error { _, err := s.Stat(ctx, "k"); return err }, 2},
	} {
		err := tc.call()
		if !store.IsTransient(err) {
			t.Errorf("%s: err = %v, want a transient error for the caller's retry layer", tc.op, err)
		}
		if got := f.count(tc.op); got != tc.want {
			t.Errorf("%s: %d requests reached the server, want %d", tc.op, got, tc.want)
		}
	}
}
