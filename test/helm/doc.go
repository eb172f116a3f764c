// Package helm renders charts/crmlens through the Helm SDK and compares it
// with kustomize's config/default. It is its own module so that the Helm
// SDK's large dependency tree never enters the operator's go.mod or slows
// the other packages' builds.
package helm
