package database_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sortie-dev/sortie/internal/database"
	"github.com/sortie-dev/sortie/internal/lang"
)

func TestCopyMessagesAreWhole(t *testing.T) {
	if err := database.CopyMessages().Check(); err != nil {
		t.Fatal(err)
	}
}

func sampleResult(t *testing.T) *database.CopyResult {
	t.Helper()
	src, _ := database.ParseURL("postgres://master:hunter2@records.rds.amazonaws.com/records")
	dst, _ := database.ParseURL("postgres://sortie@db.uni.example/records")
	r := database.NewCopyResult(database.PostgreSQL, src, dst)
	r.Product, r.Version = "PostgreSQL", "15.18"
	r.Tables = []database.TableCopy{
		{Name: "public.students", Rows: 200000, Bytes: 30 << 20, Seconds: 4.2},
		{Name: "public.grades", Rows: 1000, Bytes: 64 << 10, Earlier: true},
		{Name: "public.broken", Error: "target: boom"},
	}
	r.Phases = []string{database.PhaseRoles, database.PhaseSchema, database.PhaseData}
	r.RolesCreated = []string{"registrar"}
	r.Fail("public.broken", errors.New("target: boom\nsecond line"))
	r.Note("roles-no-password", "registrar")
	r.Note("verify", r.Source, r.Target)
	r.Finish()
	return r
}

func TestCopySummaryInEveryFormat(t *testing.T) {
	r := sampleResult(t)
	var text, md, js bytes.Buffer
	if err := r.Write(&text, "text", lang.English); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tables           3 (1 from an earlier run)", "rows             201,000", "public.students: 200,000 rows, 30.0", "FAILED    public.broken: target: boom second line",
		"roles registrar were created at the target without passwords", "sortie db verify postgres://master@records.rds.amazonaws.com/records postgres://sortie@db.uni.example/records",
		"public.broken failed: run the same command again"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "hunter2") {
		t.Error("the summary shows the password")
	}
	if err := r.Write(&md, "md", lang.French); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# sortie db copy", "## Échecs", "| public.students | 200\u202f000 |", "sans mot de passe"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	if err := r.Write(&js, "json", lang.English); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Event    string
		Rows     int64
		Tables   []struct{ Table string }
		Failures []struct{ Object, Reason string }
		ToDo     []string `json:"to_do"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Event != "summary" || doc.Rows != 201000 || len(doc.Tables) != 3 || len(doc.Failures) != 1 || len(doc.ToDo) != 2 {
		t.Errorf("json: %+v", doc)
	}
}
