package transfer

import (
	"context"
	"testing"

	"github.com/sortie-dev/sortie/internal/diff"
	"github.com/sortie-dev/sortie/internal/store"
	"github.com/sortie-dev/sortie/internal/store/mem"
	"github.com/sortie-dev/sortie/internal/store/storetest"
	"github.com/sortie-dev/sortie/internal/verify"
)

// updateInPlace changes an object's metadata at the source without touching
// its body, as aws s3api copy-object --metadata-directive REPLACE does.
func updateInPlace(t *testing.T, s *mem.Store, key string, change func(*store.Metadata)) {
	t.Helper()
	info, err := s.Stat(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	m := info.Meta.Clone()
	change(&m)
	if _, err := s.UpdateMetadata(context.Background(), key, info.ETag, m); err != nil {
		t.Fatal(err)
	}
}

// storeOnly hides every optional interface of a store but Multipart, as a
// destination that cannot update metadata in place.
type storeOnly struct{ store.Store }

func TestSyncUpdatesMetadata(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		inPlace bool
	}{{"in place", true}, {"by copy", false}} {
		t.Run(tc.name, func(t *testing.T) {
			src, m := seed(t), mem.New("dst")
			var dst store.Store = m
			if !tc.inPlace {
				dst = storeOnly{m}
			}
			o := opts()
			o.Delete = true
			if _, err := Run(ctx, src, dst, o); err != nil {
				t.Fatal(err)
			}
			updateInPlace(t, src, "a.txt", func(m *store.Metadata) {
				m.ContentType = "text/markdown"
				m.User["owner"] = "y"
			})
			updateInPlace(t, src, "dir/b.bin", func(m *store.Metadata) { m.Tags = map[string]string{"new": "tag"} })
			updateInPlace(t, src, "big-multi.bin", func(m *store.Metadata) { m.CacheControl = "no-cache" })

			// What the listings cannot see, verify can: the bug of issue 12.
			if rep, err := verify.Run(ctx, src, dst, verify.Options{}); err != nil || rep.Mismatched != 3 {
				t.Fatalf("verify before sync: %v, %d mismatched, want 3", err, rep.Mismatched)
			}
			sum, err := Run(ctx, src, dst, o)
			if err != nil || len(sum.Failed) > 0 {
				t.Fatalf("sync: %v %v", err, sum.Failed)
			}
			wantMeta, wantCopied := int64(3), int64(0)
			if !tc.inPlace {
				wantMeta, wantCopied = 0, 3
			}
			if sum.MetadataUpdated != wantMeta || sum.Copied != wantCopied || sum.Unchanged != sum.SrcObjects-3 {
				t.Errorf("sync: %d metadata updated, %d copied, %d unchanged of %d; want %d, %d, %d",
					sum.MetadataUpdated, sum.Copied, sum.Unchanged, sum.SrcObjects, wantMeta, wantCopied, sum.SrcObjects-3)
			}
			sameContent(t, src, dst)
			if tc.inPlace {
				// The bodies were not written again: the multipart layout stays.
				if i, _ := dst.Stat(ctx, "big-multi.bin"); i.Parts != 3 {
					t.Errorf("big-multi.bin has %d parts after the update, want 3", i.Parts)
				}
			}
			again, err := Run(ctx, src, dst, o)
			if err != nil || again.Copied+again.MetadataUpdated != 0 || again.Unchanged != again.SrcObjects {
				t.Errorf("second sync: %v, %d copied, %d metadata updated; want nothing", err, again.Copied, again.MetadataUpdated)
			}
			rep, err := verify.Run(ctx, src, dst, verify.Options{})
			if err != nil || !rep.OK(true) {
				t.Fatalf("verify after sync: %v %+v", err, rep.Problems)
			}
		})
	}
}

func TestDryRunCountsMetadata(t *testing.T) {
	ctx := context.Background()
	src, dst := seed(t), mem.New("dst")
	if _, err := Run(ctx, src, dst, opts()); err != nil {
		t.Fatal(err)
	}
	updateInPlace(t, src, "a.txt", func(m *store.Metadata) { m.ContentType = "text/csv" })
	o := opts()
	o.DryRun = true
	sum, err := Run(ctx, src, dst, o)
	if err != nil || sum.MetadataUpdated != 1 || sum.Copied != 0 {
		t.Fatalf("dry run: %v, %d metadata updated, %d copied; want 1, 0", err, sum.MetadataUpdated, sum.Copied)
	}
	if i, _ := dst.Stat(ctx, "a.txt"); i.Meta.ContentType != "text/plain" {
		t.Errorf("dry run changed the destination: %q", i.Meta.ContentType)
	}
	o = opts()
	o.SkipMetadata = true
	if sum, _ := Run(ctx, src, dst, o); sum.MetadataUpdated != 0 || sum.Copied != 0 {
		t.Errorf("SkipMetadata: %d metadata updated, %d copied; want none", sum.MetadataUpdated, sum.Copied)
	}
}

// directoryStore rewrites folder markers' Content-Type, as versitygw does.
type directoryStore struct{ *mem.Store }

func (d directoryStore) Put(ctx context.Context, in store.PutInput) (store.Object, error) {
	if in.Size == 0 && len(in.Key) > 0 && in.Key[len(in.Key)-1] == '/' {
		in.Meta.ContentType = diff.DirectoryType
	}
	return d.Store.Put(ctx, in)
}

func TestDirectoryQuirkOnce(t *testing.T) {
	ctx := context.Background()
	src, dst := mem.New("src"), directoryStore{mem.New("dst")}
	for _, k := range []string{"a/", "b/", "c/"} {
		storetest.Put(t, src, k, nil, store.Metadata{ContentType: "application/octet-stream"})
	}
	o := opts()
	if _, err := Run(ctx, src, dst, o); err != nil {
		t.Fatal(err)
	}
	sum, err := Run(ctx, src, dst, o)
	if err != nil || sum.Copied+sum.MetadataUpdated != 0 || sum.Unchanged != 3 || len(sum.Quirks) != 1 {
		t.Fatalf("second run: %v, %d copied, %d updated, %d unchanged, quirks %q; want all unchanged, one quirk",
			err, sum.Copied, sum.MetadataUpdated, sum.Unchanged, sum.Quirks)
	}
	rep, err := verify.Run(ctx, src, dst, verify.Options{})
	if err != nil || !rep.OK(true) || rep.Verified != 3 || len(rep.Quirks) != 1 {
		t.Fatalf("verify: %v, %d verified, problems %+v, quirks %q", err, rep.Verified, rep.Problems, rep.Quirks)
	}
}
