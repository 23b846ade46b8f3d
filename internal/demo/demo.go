// Package demo provides what "sortie demo" needs to run the whole flow on a
// machine with no AWS account and no server installed: an in-process
// S3-compatible endpoint (gofakes3, the library rclone's "serve s3" builds
// on) served over real HTTP on loopback, and a small, realistic sample of a
// university's data to fill it with.
//
// The endpoint is the demo's stand-in for AWS. It is never a substitute for
// the real servers (MinIO, versitygw) the tests run against.
package demo

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/sortie-dev/sortie/internal/store"
)

// Server is an in-memory S3-compatible endpoint on 127.0.0.1.
type Server struct {
	URL  string
	srv  *http.Server
	done chan struct{}
}

// Start serves a fresh, empty endpoint on a free loopback port.
func Start() (*Server, error) {
	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog()), gofakes3.WithIntegrityCheck(true))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen on loopback: %w", err)
	}
	s := &Server{URL: "http://" + l.Addr().String(), srv: &http.Server{Handler: faker.Server(), ReadHeaderTimeout: 10 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the demo's requests will fail and say so
		}
	}()
	return s, nil
}

// Close stops the endpoint at once and waits for it. Not Shutdown: the
// SDK's idle keep-alive connections would hold a graceful stop to its
// timeout, and nothing is in flight when the demo ends.
func (s *Server) Close() {
	s.srv.Close()
	<-s.done
}

// File is one object of the sample.
type File struct {
	Key      string
	Size     int
	Meta     store.Metadata
	PartSize int // > 0: uploaded as multipart with parts of this size
}

const mib = 1 << 20

// Sample is a university's bucket in miniature: course material with
// French and accented names, lab datasets of which a few are large enough
// to have been uploaded in parts, administrative files with the characters
// that break naive tools, and an empty folder marker.
func Sample() []File {
	pdf := func(owner string) store.Metadata {
		return store.Metadata{ContentType: "application/pdf", User: map[string]string{"department": owner}}
	}
	frDoc := store.Metadata{ContentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		ContentLanguage: "fr-CA", User: map[string]string{"auteur": "Département de français", "session": "été 2025"}}
	files := []File{
		{Key: "courses/PHY-1001/syllabus.pdf", Size: 180 << 10, Meta: pdf("physics")},
		{Key: "courses/FRA-2100/Cours d'été — plan.docx", Size: 95 << 10, Meta: frDoc},
		{Key: "courses/MAT-1910/Corrigé examen final.pdf", Size: 410 << 10, Meta: pdf("mathématiques")},
		{Key: "courses/ART-1000/Cafe\u0301/affiche.jpg", Size: 620 << 10, Meta: store.Metadata{ContentType: "image/jpeg", CacheControl: "public, max-age=86400"}},
		{Key: "courses/ART-1000/Caf\u00e9/affiche.jpg", Size: 615 << 10, Meta: store.Metadata{ContentType: "image/jpeg", CacheControl: "public, max-age=86400"}},
		{Key: "labs/climate/stations/readme.txt", Size: 3 << 10, Meta: store.Metadata{ContentType: "text/plain; charset=utf-8", ContentDisposition: `inline; filename="readme.txt"`}},
		{Key: "labs/climate/stations/station-data-2024.csv", Size: 3 * mib, Meta: store.Metadata{ContentType: "text/csv", User: map[string]string{"licence": "CC-BY-4.0"}}},
		{Key: "labs/climate/model-output.nc", Size: 40 * mib, PartSize: 8 * mib, Meta: store.Metadata{ContentType: "application/x-netcdf", User: map[string]string{"project": "arctic-ice", "pi": "Dr. Tremblay"}}},
		{Key: "labs/genomics/run-2024-03/reads_R1.fastq.gz", Size: 24 * mib, PartSize: 8 * mib, Meta: store.Metadata{ContentType: "application/gzip", ContentEncoding: "identity", User: map[string]string{"sequencer": "NovaSeq 6000"}}},
		{Key: "labs/genomics/run-2024-03/reads_R2.fastq.gz", Size: 20 * mib, PartSize: 8 * mib, Meta: store.Metadata{ContentType: "application/gzip", User: map[string]string{"sequencer": "NovaSeq 6000"}}},
		{Key: "labs/genomics/run-2024-03/sample sheet.csv", Size: 2 << 10, Meta: store.Metadata{ContentType: "text/csv"}},
		{Key: "labs/empty-run/", Size: 0, Meta: store.Metadata{ContentType: "application/x-directory"}},
		{Key: "admin/budget 2025+2026.xlsx", Size: 48 << 10, Meta: store.Metadata{ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Expires: "Thu, 31 Dec 2026 23:59:59 GMT"}},
		{Key: "admin/notes 100% final.txt", Size: 1 << 10, Meta: store.Metadata{ContentType: "text/plain"}},
		{Key: "admin/empty.txt", Size: 0, Meta: store.Metadata{ContentType: "text/plain"}},
	}
	for i := 1; i <= 12; i++ {
		files = append(files, File{Key: fmt.Sprintf("courses/PHY-1001/lectures/lecture-%02d.pdf", i), Size: (100 + 37*i) << 10, Meta: pdf("physics")})
	}
	return files
}

// Body returns the deterministic content of a sample file.
func Body(f File, version int) []byte {
	r := rand.New(rand.NewPCG(uint64(len(f.Key)), uint64(version)))
	b := make([]byte, f.Size)
	for i := 0; i < len(b); i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// Uploader is what Seed needs of a store: whole puts and multipart.
type Uploader interface {
	store.Store
	store.Multipart
}

// Seed uploads files, as a first version, through st.
func Seed(ctx context.Context, st Uploader, files []File) error {
	for _, f := range files {
		if err := Upload(ctx, st, f, 1); err != nil {
			return err
		}
	}
	return nil
}

// Upload writes one version of a sample file.
func Upload(ctx context.Context, st Uploader, f File, version int) error {
	b := Body(f, version)
	if f.PartSize == 0 {
		sum := md5.Sum(b)
		_, err := st.Put(ctx, store.PutInput{Key: f.Key, Body: bytes.NewReader(b), Size: int64(len(b)), MD5: sum[:], Meta: f.Meta})
		return err
	}
	id, err := st.CreateMultipart(ctx, f.Key, f.Meta, "")
	if err != nil {
		return err
	}
	var parts []store.Part
	for n, off := 1, 0; off < len(b); n, off = n+1, off+f.PartSize {
		p := b[off:min(off+f.PartSize, len(b))]
		sum := md5.Sum(p)
		etag, err := st.UploadPart(ctx, f.Key, id, n, bytes.NewReader(p), int64(len(p)), sum[:])
		if err != nil {
			st.AbortMultipart(ctx, f.Key, id)
			return err
		}
		parts = append(parts, store.Part{Number: n, ETag: etag, Size: int64(len(p))})
	}
	_, err = st.CompleteMultipart(ctx, f.Key, id, parts)
	return err
}
