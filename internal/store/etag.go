package store

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
)

// ParseETag splits an S3-style ETag into its digest and part count: a plain
// MD5 ETag has parts 0, a multipart one ("<hex>-N") has parts N. ok is false
// for ETags of any other shape (those of encrypted or foreign stores), which
// say nothing about the body's MD5.
func ParseETag(etag string) (digest []byte, parts int, ok bool) {
	etag = strings.Trim(etag, `"`)
	hexPart, count, multi := strings.Cut(etag, "-")
	if len(hexPart) != 32 {
		return nil, 0, false
	}
	d, err := hex.DecodeString(hexPart)
	if err != nil {
		return nil, 0, false
	}
	if !multi {
		return d, 0, true
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return nil, 0, false
	}
	return d, n, true
}

// ComparableETags reports whether two ETags can decide by themselves that
// two bodies are the same: both plain MD5s, or both multipart composites of
// the same part count (the same layout, in practice).
func ComparableETags(a, b string) bool {
	_, pa, oka := ParseETag(a)
	_, pb, okb := ParseETag(b)
	return oka && okb && pa == pb
}

// SameETag compares two ETags, ignoring quotes and case.
func SameETag(a, b string) bool {
	return strings.EqualFold(strings.Trim(a, `"`), strings.Trim(b, `"`))
}

// MultipartETag is the ETag S3 gives an object assembled from parts with the
// given MD5 digests: the MD5 of their concatenation, "-", and their count.
func MultipartETag(partMD5s [][]byte) string {
	h := md5.New()
	for _, d := range partMD5s {
		h.Write(d)
	}
	return hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(partMD5s))
}
