// Package commanddocs holds Redis's own metadata for the Redis commands
// rewind implements: what COMMAND INFO and COMMAND DOCS report (arity,
// flags, ACL categories, legacy key range, key specs, summaries, history,
// arguments).
//
// The data, redis-7.2.json, is generated from Redis 7.2.6's command
// descriptions, src/commands/*.json in https://github.com/redis/redis at
// tag 7.2.6, by gendocs, which computes what Redis adds when it loads them
// (implicit flags and ACL categories, movablekeys, the legacy first/last
// key and step). Regenerate it rather than edit it:
//
//	git clone --depth 1 --branch 7.2.6 https://github.com/redis/redis /tmp/redis
//	REDIS_SRC=/tmp/redis go generate ./resp/internal/commanddocs
//
// To describe one more Redis command, add its name to gendocs's list and
// regenerate.
package commanddocs

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:generate go run ./gendocs -redis=${REDIS_SRC} -out=redis-7.2.json

//go:embed redis-7.2.json
var redisJSON []byte

// File is the layout of the data file.
type File struct {
	// Source names what the data was generated from.
	Source string `json:"source"`
	// Commands are by full name: "xadd", "client|kill".
	Commands map[string]Doc `json:"commands"`
}

// Doc is one command's metadata. Space-separated word lists (Flags, ACL,
// DocFlags) are in the order Redis replies them.
type Doc struct {
	Arity           int         `json:"arity"`
	Flags           string      `json:"flags,omitempty"`
	ACL             string      `json:"acl,omitempty"`
	FirstKey        int         `json:"first_key,omitempty"`
	LastKey         int         `json:"last_key,omitempty"`
	KeyStep         int         `json:"key_step,omitempty"`
	Summary         string      `json:"summary,omitempty"`
	Since           string      `json:"since,omitempty"`
	Group           string      `json:"group,omitempty"`
	Complexity      string      `json:"complexity,omitempty"`
	DocFlags        string      `json:"doc_flags,omitempty"`
	DeprecatedSince string      `json:"deprecated_since,omitempty"`
	ReplacedBy      string      `json:"replaced_by,omitempty"`
	Tips            []string    `json:"tips,omitempty"`
	History         [][2]string `json:"history,omitempty"` // since, change
	KeySpecs        []KeySpec   `json:"key_specs,omitempty"`
	Args            []Arg       `json:"arguments,omitempty"`
}

// KeySpec is one of a command's key specs. begin_search is by Index when
// it is above 0, else by Keyword when that is set, else unknown; find_keys
// is Range (lastkey, keystep, limit) or Keynum (keynumidx, firstkey,
// keystep), else unknown.
type KeySpec struct {
	Notes     string  `json:"notes,omitempty"`
	Flags     string  `json:"flags"`
	Index     int     `json:"index,omitempty"`
	Keyword   string  `json:"keyword,omitempty"`
	StartFrom int     `json:"startfrom,omitempty"`
	Range     *[3]int `json:"range,omitempty"`
	Keynum    *[3]int `json:"keynum,omitempty"`
}

// Arg is one argument of COMMAND DOCS. Display is left out when it is
// the name; KeySpecIndex is Redis's (from 0), nil for a non-key.
type Arg struct {
	Name            string `json:"name"`
	Type            string `json:"type"`
	Display         string `json:"display,omitempty"`
	KeySpecIndex    *int   `json:"key_spec_index,omitempty"`
	Token           string `json:"token,omitempty"`
	Summary         string `json:"summary,omitempty"`
	Since           string `json:"since,omitempty"`
	DeprecatedSince string `json:"deprecated_since,omitempty"`
	Flags           string `json:"flags,omitempty"` // "optional multiple multiple_token"
	Args            []Arg  `json:"arguments,omitempty"`
}

// Redis returns the embedded metadata of Redis 7.2.
func Redis() (map[string]Doc, error) {
	var f File
	if err := json.Unmarshal(redisJSON, &f); err != nil {
		return nil, fmt.Errorf("commanddocs: redis-7.2.json: %w", err)
	}
	return f.Commands, nil
}

// Encode is the data file's encoding of f, as gendocs writes it.
func Encode(f *File) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
