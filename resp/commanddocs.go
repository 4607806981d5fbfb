package resp

import (
	"fmt"

	"github.com/rewind-mq/rewind/resp/internal/commanddocs"
)

// redisCommandDocs is Redis 7.2.6's metadata for the Redis commands rewind
// implements or is about to (consumer groups), by full name. It is the
// data resp/internal/commanddocs embeds, generated from Redis's
// src/commands/*.json: regenerate it there rather than edit it. Flags and
// ACL categories are what Redis reports after adding the implicit ones
// (movablekeys, @read/@write/@fast/@slow/...). rewind's own commands add
// theirs at init (cmd_rewind.go).
var redisCommandDocs = mustLoadRedisCommandDocs()

// mustLoadRedisCommandDocs decodes the embedded metadata; it panics if
// the data is broken (TestRedisCommandDocsLoad catches that first).
func mustLoadRedisCommandDocs() map[string]*commandDoc {
	docs, err := loadRedisCommandDocs()
	if err != nil {
		panic(err)
	}
	return docs
}

func loadRedisCommandDocs() (map[string]*commandDoc, error) {
	data, err := commanddocs.Redis()
	if err != nil {
		return nil, err
	}
	docs := make(map[string]*commandDoc, len(data))
	for name, d := range data {
		doc, err := commandDocFromData(&d)
		if err != nil {
			return nil, fmt.Errorf("commanddocs: %s: %w", name, err)
		}
		docs[name] = doc
	}
	return docs, nil
}

// commandDocFromData converts one command's entry of the data file.
func commandDocFromData(d *commanddocs.Doc) (*commandDoc, error) {
	doc := &commandDoc{
		arity: d.Arity, flags: d.Flags, acl: d.ACL, firstKey: d.FirstKey, lastKey: d.LastKey, keyStep: d.KeyStep,
		summary: d.Summary, since: d.Since, group: d.Group, complexity: d.Complexity, docFlags: d.DocFlags,
		deprecatedSince: d.DeprecatedSince, replacedBy: d.ReplacedBy, tips: d.Tips, history: d.History,
	}
	for i := range d.KeySpecs {
		ks, err := keySpecFromData(&d.KeySpecs[i])
		if err != nil {
			return nil, fmt.Errorf("key spec %d: %w", i, err)
		}
		doc.keySpecs = append(doc.keySpecs, ks)
	}
	var err error
	doc.args, err = docArgsFromData(d.Args, len(doc.keySpecs))
	return doc, err
}

func keySpecFromData(d *commanddocs.KeySpec) (keySpec, error) {
	ks := keySpec{notes: d.Notes, flags: d.Flags, index: d.Index, keyword: d.Keyword, startFrom: d.StartFrom}
	if d.Index > 0 && d.Keyword != "" {
		return ks, fmt.Errorf("begins both at index %d and at keyword %q", d.Index, d.Keyword)
	}
	switch {
	case d.Range != nil && d.Keynum != nil:
		return ks, fmt.Errorf("finds keys both by range and by keynum")
	case d.Range != nil:
		ks.find, ks.a, ks.b, ks.c = keysRange, d.Range[0], d.Range[1], d.Range[2]
	case d.Keynum != nil:
		ks.find, ks.a, ks.b, ks.c = keysKeynum, d.Keynum[0], d.Keynum[1], d.Keynum[2]
	}
	return ks, nil
}

// docArgsFromData converts arguments; a key argument must name one of the
// command's numKeySpecs key specs.
func docArgsFromData(data []commanddocs.Arg, numKeySpecs int) ([]docArg, error) {
	var args []docArg
	for i := range data {
		d := &data[i]
		a := docArg{name: d.Name, typ: d.Type, display: d.Display, token: d.Token, summary: d.Summary,
			since: d.Since, deprecatedSince: d.DeprecatedSince, flags: d.Flags}
		if d.KeySpecIndex != nil {
			if *d.KeySpecIndex < 0 || *d.KeySpecIndex >= numKeySpecs {
				return nil, fmt.Errorf("argument %s names key spec %d of %d", d.Name, *d.KeySpecIndex, numKeySpecs)
			}
			a.keySpec = *d.KeySpecIndex + 1
		}
		var err error
		if a.args, err = docArgsFromData(d.Args, numKeySpecs); err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	return args, nil
}
