package attest

import (
	"testing"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// strictCases are statements that protojson reads or refuses for each
// reason strictStatement must keep.
var strictCases = []struct {
	name, payload string
}{
	{"valid", `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a.yaml","digest":{"sha256":"00"}}],"predicateType":"x","predicate":{"a":{"b":[1,{"c":2}]},"d":"e"}}`},
	{"valid, spaces around the predicate", "{\"predicate\" :\n\t {\"a\": 1} , \"predicateType\":\"x\"}"},
	{"proto field name", `{"predicate_type":"x","predicate":{}}`},
	{"no predicate", `{"predicateType":"x"}`},
	{"predicate null", `{"predicate":null}`},
	{"predicate an array", `{"predicate":[1]}`},
	{"predicate a string", `{"predicate":"x"}`},
	{"predicate twice", `{"predicate":{},"predicate":{}}`},
	{"predicate escaped and twice", `{"predicate":{},"pred\u0069cate":{}}`},
	{"duplicate key in the predicate", `{"predicate":{"policy":{"verdict":"fail"},"policy":{"verdict":"pass"}}}`},
	{"duplicate key deep in the predicate", `{"predicate":{"a":[{"b":1,"b":2}]}}`},
	{"duplicate key escaped", `{"predicate":{"a":1,"\u0061":2}}`},
	{"same key in sibling objects", `{"predicate":{"a":{"x":1},"b":{"x":1}}}`},
	{"key equal to a value", `{"predicate":{"a":"b","b":"a"}}`},
	{"unknown field", `{"predicateType":"x","extra":1}`},
	{"wrong case", `{"PredicateType":"x"}`},
	{"duplicate field", `{"predicateType":"x","predicateType":"y"}`},
	{"duplicate subject field", `{"subject":[{"name":"a","name":"b"}]}`},
	{"unknown subject field", `{"subject":[{"name":"a","nom":"b"}]}`},
	{"wrong type", `{"subject":{"name":"a"}}`},
	{"invalid UTF-8 in the predicate", "{\"predicate\":{\"a\":\"\xff\"}}"},
	{"invalid UTF-8 in a key of the predicate", "{\"predicate\":{\"\xff\":1}}"},
	{"invalid UTF-8 elsewhere", "{\"predicateType\":\"\xff\"}"},
	{"duplicate digest", `{"subject":[{"name":"a","digest":{"sha256":"00","sha256":"11"}}]}`},
	{"surrogate pair in a key", `{"predicate":{"\ud83d\ude00":1,"😀":2}}`},
	{"lone surrogate in a key", `{"predicate":{"\ud83d":1}}`},
	{"lone low surrogate", `{"predicate":{"a":"\ude00"}}`},
	{"bad escape", `{"predicate":{"a":"\x41"}}`},
	{"control character in a string", "{\"predicate\":{\"a\":\"\n\"}}"},
	{"numbers", `{"predicate":{"a":[0,-1,1.5,2e10,-3.25E-2,1e+3]}}`},
	{"leading zero", `{"predicate":{"a":01}}`},
	{"bare minus", `{"predicate":{"a":-}}`},
	{"dot without digits", `{"predicate":{"a":1.}}`},
	{"literals", `{"predicate":{"a":[true,false,null]}}`},
	{"bad literal", `{"predicate":{"a":nul}}`},
	{"trailing comma", `{"predicate":{"a":1,}}`},
	{"many keys", `{"predicate":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18}}`},
	{"many keys, one twice", `{"predicate":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"a":18}}`},
	{"not JSON", `{"predicate":{`},
	{"trailing garbage", `{"predicate":{}} x`},
	{"an array", `[]`},
	{"empty", ``},
}

// TestStrictStatement holds strictStatement equal to protojson reading the
// whole statement, as sigstore-go's Envelope.Statement does.
func TestStrictStatement(t *testing.T) {
	for _, c := range strictCases {
		t.Run(c.name, func(t *testing.T) {
			want := protojson.Unmarshal([]byte(c.payload), &intoto.Statement{}) == nil
			if got := strictStatement([]byte(c.payload)) == nil; got != want {
				t.Errorf("strictStatement accepts %q: %v, protojson: %v", c.payload, got, want)
			}
		})
	}
}

func FuzzStrictStatement(f *testing.F) {
	for _, c := range strictCases {
		f.Add([]byte(c.payload))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		want := protojson.Unmarshal(payload, &intoto.Statement{}) == nil
		if got := strictStatement(payload) == nil; got != want {
			t.Errorf("strictStatement accepts %q: %v, protojson: %v", payload, got, want)
		}
	})
}
