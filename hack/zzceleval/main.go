package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// usage: zzceleval CRD.yaml < objects (one JSON spec per line)
func main() {
	s := runtime.NewScheme()
	_ = apiextv1.AddToScheme(s)
	_ = apiextensions.AddToScheme(s)
	b, _ := os.ReadFile(os.Args[1])
	var v1 apiextv1.CustomResourceDefinition
	if err := yaml.Unmarshal(b, &v1); err != nil {
		panic(err)
	}
	var in apiextensions.CustomResourceDefinition
	if err := s.Convert(&v1, &in, nil); err != nil {
		panic(err)
	}
	props := in.Spec.Validation
	if in.Spec.Versions[0].Schema != nil {
		props = in.Spec.Versions[0].Schema
	}
	st, err := schema.NewStructural(props.OpenAPIV3Schema)
	if err != nil {
		panic(err)
	}
	v := cel.NewValidator(st, true, celconfig.PerCallLimit)
	dec := json.NewDecoder(os.Stdin)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			break
		}
		errs, _ := v.Validate(context.Background(), field.NewPath(""), st, obj, nil, celconfig.RuntimeCELCostBudget)
		spec, _ := json.Marshal(obj["spec"])
		fmt.Printf("%s\n  -> %v\n", spec, errs)
	}
}
