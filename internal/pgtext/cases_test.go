package pgtext

// jsonCases are valid JSON texts and whether Postgres stores them in jsonb.
var jsonCases = []struct {
	name     string
	body     string
	storable bool
}{
	{"plain", `{"id":"evt_1","amount":12000}`, true},
	{"accents", `{"name":"Société Générale €"}`, true},
	{"escaped accent", `{"name":"Soci\u00e9t\u00e9"}`, true},
	{"surrogate pair", `{"emoji":"\ud83d\ude00"}`, true},
	{"escaped backslash before u0000 text", `{"path":"C:\\u0000"}`, true},
	{"other escapes", `{"s":"a\"b\\c\/d\n\t"}`, true},
	{"nul escape", `{"id":"evt\u0000"}`, false},
	{"nul escape in a key", `{"a\u0000":1}`, false},
	{"nul escape after escaped quote", `{"id":"\"\u0000"}`, false},
	{"lone high surrogate", `{"s":"\ud83d"}`, false},
	{"lone high surrogate then text", `{"s":"\ud83dx"}`, false},
	{"lone low surrogate", `{"s":"\ude00"}`, false},
	{"two high surrogates", `{"s":"\ud83d\ud83d\ude00"}`, false},
	{"invalid utf-8", "{\"s\":\"\xff\"}", false},
}
