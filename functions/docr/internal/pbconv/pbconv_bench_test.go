package pbconv

import (
	"testing"

	protectionv1beta1 "github.com/crossplane/crossplane/apis/v2/protection/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func usageFixture() *protectionv1beta1.Usage {
	replay := true
	return &protectionv1beta1.Usage{
		TypeMeta:   metav1.TypeMeta{APIVersion: "protection.crossplane.io/v1beta1", Kind: "Usage"},
		ObjectMeta: metav1.ObjectMeta{Name: "acme-shop-nyc3-gc-uses-nyc3"},
		Spec: protectionv1beta1.UsageSpec{
			Of: protectionv1beta1.NamespacedResource{APIVersion: "docr.digitalocean.m.crossplane.io/v1alpha1", Kind: "Registry",
				ResourceRef: &protectionv1beta1.NamespacedResourceRef{Name: "acme-shop-nyc3"}},
			By: &protectionv1beta1.Resource{APIVersion: "docr.digitalocean.m.crossplane.io/v1alpha1", Kind: "GarbageCollectionSchedule",
				ResourceRef: &protectionv1beta1.ResourceRef{Name: "acme-shop-nyc3-gc"}},
			ReplayDeletion: &replay,
		},
	}
}

func BenchmarkConvertUsage(b *testing.B) {
	u := usageFixture()
	b.ReportAllocs()
	for b.Loop() {
		a := &Arena{}
		if _, err := a.Convert(u, "status"); err != nil {
			b.Fatal(err)
		}
	}
}
