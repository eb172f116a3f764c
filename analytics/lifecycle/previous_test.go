package lifecycle

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadAssignments(t *testing.T) {
	got, err := ReadAssignments(strings.NewReader("customer,recencyDays,segment,stage\na,1,new,new\n\"b,c\",2,churned,churned\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]Stage{"a": New, "b,c": Churned}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	tests := map[string]string{
		"no stage column": "customer,segment\na,x\n",
		"unknown stage":   "customer,stage\na,sleepy\n",
		"duplicate":       "customer,stage\na,new\na,active\n",
		"short row":       "customer,stage\na\n",
		"empty":           "",
	}
	for name, text := range tests {
		if _, err := ReadAssignments(strings.NewReader(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
