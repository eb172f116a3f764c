package main

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

func yamlMarshal(v any) ([]byte, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	return b, nil
}
