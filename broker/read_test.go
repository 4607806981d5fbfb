package broker

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/rewind-mq/rewind/wal"
)

// TestReadSideCopiesEveryField: every field of broker's Meta, GroupInfo
// and ConsumerInfo has wal's field of the same name behind it and carries
// its value (each set to a value of its own), and Meta converts back to
// the same values for the estimates wal computes.
func TestReadSideCopiesEveryField(t *testing.T) {
	var m wal.Meta
	n := 0
	fillFields(reflect.ValueOf(&m).Elem(), &n)
	got := metaOf(&m)
	sameFields(t, "Meta", reflect.ValueOf(got), reflect.ValueOf(m))
	if back := got.wal(); metaOf(&back) != got {
		t.Errorf("Meta converted back and forth: %+v, want %+v", metaOf(&back), got)
	}

	var g wal.GroupInfo
	fillFields(reflect.ValueOf(&g).Elem(), &n)
	sameFields(t, "GroupInfo", reflect.ValueOf(*groupOf(&g)), reflect.ValueOf(g))
	if groupOf(nil) != nil {
		t.Error("groupOf(nil) is not nil")
	}
}

// fillFields sets every exported field of v, and of the structs and
// one-element slices of structs it holds, to a value no other has.
func fillFields(v reflect.Value, n *int) {
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		*n++
		switch f.Kind() {
		case reflect.Struct:
			fillFields(f, n)
		case reflect.Slice:
			if f.Type().Elem().Kind() == reflect.Struct {
				f.Set(reflect.MakeSlice(f.Type(), 1, 1))
				fillFields(f.Index(0), n)
			}
		case reflect.Uint64, reflect.Uint32:
			f.SetUint(uint64(*n))
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(*n))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.String:
			f.SetString(fmt.Sprint("s", *n))
		}
	}
}

// sameFields reports each exported field of b that w lacks or holds
// another value in.
func sameFields(t *testing.T, path string, b, w reflect.Value) {
	t.Helper()
	for i := range b.NumField() {
		field := b.Type().Field(i)
		if !field.IsExported() {
			continue
		}
		name := path + "." + field.Name
		wf := w.FieldByName(field.Name)
		if !wf.IsValid() {
			t.Errorf("%s: wal has no such field", name)
			continue
		}
		bf := b.Field(i)
		switch bf.Kind() {
		case reflect.Struct:
			sameFields(t, name, bf, wf)
		case reflect.Slice:
			if bf.Len() != wf.Len() {
				t.Errorf("%s: %d elements, wal %d", name, bf.Len(), wf.Len())
				continue
			}
			for j := range bf.Len() {
				sameFields(t, fmt.Sprintf("%s[%d]", name, j), bf.Index(j), wf.Index(j))
			}
		default:
			if fmt.Sprint(bf.Interface()) != fmt.Sprint(wf.Interface()) {
				t.Errorf("%s = %v, wal %v", name, bf.Interface(), wf.Interface())
			}
		}
	}
}

// TestOpenDirInUseIsBrokersDirError: Open reports a data directory in use
// as broker's DirError, of kind ErrDirInUse, naming the directory.
func TestOpenDirInUseIsBrokersDirError(t *testing.T) {
	dir := t.TempDir()
	b, err := Open(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_, err = Open(Config{Dir: dir})
	var dirErr *DirError
	if !errors.As(err, &dirErr) || dirErr.Kind != ErrDirInUse || !errors.Is(err, ErrDirInUse) {
		t.Fatalf("second Open: %v, want a DirError of kind ErrDirInUse", err)
	}
	if want := "broker: data directory " + dir + " is in use by another rewind process ("; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start %q", err, want)
	}
}
