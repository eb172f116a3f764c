// Command kustomize renders a kustomization with kustomize's Go API
// (sigs.k8s.io/kustomize/api, pinned in go.mod), so `make deploy` and
// `make build-installer` need no kustomize or kubectl binary:
//
//	go run ./hack/kustomize [--image IMAGE] DIR > install.yaml
//
// --image replaces the crmlens image (ghcr.io/crmlens/crmlens) in the
// manager Deployment and in its CRMLENS_IMAGE variable, through a temporary
// overlay on DIR.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// defaultImage is the image name config/manager sets.
const defaultImage = "ghcr.io/crmlens/crmlens"

func main() {
	image := flag.String("image", "", "image to deploy, NAME[:TAG] or NAME@DIGEST (default: as in the kustomization)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./hack/kustomize [--image IMAGE] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	out, err := render(flag.Arg(0), *image)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kustomize: %v\n", err)
		os.Exit(1)
	}
	if _, err := os.Stdout.Write(out); err != nil {
		fmt.Fprintf(os.Stderr, "kustomize: %v\n", err)
		os.Exit(1)
	}
}

func render(dir, image string) ([]byte, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", dir, err)
	}
	if image != "" {
		overlay, err := os.MkdirTemp("", "crmlens-kustomize-")
		if err != nil {
			return nil, fmt.Errorf("creating the image overlay: %w", err)
		}
		defer os.RemoveAll(overlay)
		// Kustomize takes a base only as a relative path.
		rel, err := filepath.Rel(overlay, abs)
		if err != nil {
			return nil, fmt.Errorf("locating %s from the overlay: %w", dir, err)
		}
		k, err := imageOverlay(rel, image)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(k), 0o600); err != nil {
			return nil, fmt.Errorf("writing the image overlay: %w", err)
		}
		abs = overlay
	}
	opts := krusty.MakeDefaultOptions()
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), abs)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", dir, err)
	}
	return m.AsYaml()
}

// imageOverlay returns a kustomization that sets the image on base and keeps
// CRMLENS_IMAGE in step with it.
func imageOverlay(base, image string) (string, error) {
	name, tag, digest := image, "", ""
	if i := strings.Index(image, "@"); i >= 0 {
		name, digest = image[:i], image[i+1:]
	} else if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		name, tag = image[:i], image[i+1:]
	}
	if name == "" || strings.ContainsAny(image, " \t\n\"'") {
		return "", errors.New("--image: want NAME[:TAG] or NAME@DIGEST")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "resources:\n  - %q\nimages:\n  - name: %s\n    newName: %q\n", base, defaultImage, name)
	if tag != "" {
		fmt.Fprintf(&b, "    newTag: %q\n", tag)
	}
	if digest != "" {
		fmt.Fprintf(&b, "    digest: %q\n", digest)
	}
	b.WriteString(`replacements:
  - source:
      kind: Deployment
      name: crmlens-controller-manager
      fieldPath: spec.template.spec.containers.[name=manager].image
    targets:
      - select:
          kind: Deployment
          name: crmlens-controller-manager
        fieldPaths:
          - spec.template.spec.containers.[name=manager].env.[name=CRMLENS_IMAGE].value
`)
	return b.String(), nil
}
