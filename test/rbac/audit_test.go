package rbac

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadAudit: the parser sees the provider's requests, tells refusals apart and
// ignores other users, so a refused request cannot go unnoticed.
func TestReadAudit(t *testing.T) {
	log := `{"verb":"watch","user":{"username":"provider-docr"},"objectRef":{"apiGroup":"docr.digitalocean.m.crossplane.io","resource":"registries"},"responseStatus":{"code":200}}
{"verb":"update","user":{"username":"provider-docr"},"objectRef":{"apiGroup":"docr.digitalocean.m.crossplane.io","resource":"registries","subresource":"status"},"responseStatus":{"code":200}}
{"verb":"get","user":{"username":"provider-docr"},"requestURI":"/api/v1/namespaces","objectRef":{"resource":"namespaces"},"responseStatus":{"code":403}}
{"verb":"delete","user":{"username":"docr-admin"},"objectRef":{"resource":"secrets"},"responseStatus":{"code":200}}
not json
`
	p := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(p, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	used, forbidden := readAudit(t, p)
	want := map[access]bool{{crdGroup, "registries", "watch"}: true, {crdGroup, "registries/status", "update"}: true}
	if diff := cmp.Diff(want, used, cmp.AllowUnexported(access{})); diff != "" {
		t.Errorf("used (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"core/namespaces:get (/api/v1/namespaces)"}, forbidden); diff != "" {
		t.Errorf("forbidden (-want +got):\n%s", diff)
	}
	if crossplaneDerived(access{"", "namespaces", "get"}, map[string]bool{"registries": true}) {
		t.Error("namespaces counted as a grant Crossplane derives for every provider")
	}
}
