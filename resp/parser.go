package resp

import (
	"bytes"
	"errors"
	"math"
)

// maxInlineBytes bounds an inline (telnet) command and a RESP header line,
// as Redis's PROTO_INLINE_MAX_SIZE.
const maxInlineBytes = 64 << 10

// parseLimits bound what one command may make the server hold.
type parseLimits struct {
	maxBulk int // largest single argument
	maxArgs int // most arguments in one command
}

// parseCommand parses one command at the start of b. It returns the
// arguments (sub-slices of b, appended to args), the number of bytes used,
// and an error for malformed input. n == 0 with no error means b holds no
// complete command yet. An empty multibulk ("*0") consumes bytes and yields
// no arguments, as Redis ignores it.
func parseCommand(b []byte, args [][]byte, lim parseLimits) ([][]byte, int, error) {
	if len(b) == 0 {
		return args, 0, nil
	}
	if b[0] != '*' {
		return parseInline(b, args)
	}
	count, pos, err := parseHeader(b, 1, errInvalidMultibulk, errTooBigMultibulk)
	if err != nil || pos == 0 {
		return args, 0, err
	}
	if count > int64(lim.maxArgs) {
		return args, 0, errInvalidMultibulk
	}
	if count <= 0 {
		return args, pos, nil
	}
	first := len(args)
	for i := int64(0); i < count; i++ {
		if pos >= len(b) {
			return args[:first], 0, nil
		}
		if b[pos] != '$' {
			return args[:first], 0, errors.New("Protocol error: expected '$', got '" + string(b[pos]) + "'")
		}
		size, next, err := parseHeader(b, pos+1, errInvalidBulk, errTooBigBulkCount)
		if err != nil {
			return args[:first], 0, err
		}
		if next == 0 {
			return args[:first], 0, nil
		}
		if size < 0 {
			return args[:first], 0, errInvalidBulk
		}
		if size > int64(lim.maxBulk) {
			return args[:first], 0, errBulkOverLimit
		}
		end := next + int(size)
		if end+2 > len(b) {
			return args[:first], 0, nil
		}
		if b[end] != '\r' || b[end+1] != '\n' {
			return args[:first], 0, errInvalidBulk
		}
		args = append(args, b[next:end:end])
		pos = end + 2
	}
	return args, pos, nil
}

// parseHeader parses the integer of a "*<n>\r\n" or "$<n>\r\n" line whose
// digits start at b[start]. pos == 0 means the line is incomplete.
func parseHeader(b []byte, start int, invalid, tooBig error) (n int64, pos int, err error) {
	nl := bytes.IndexByte(b[start:], '\n')
	if nl < 0 {
		if len(b)-start > maxInlineBytes {
			return 0, 0, tooBig
		}
		return 0, 0, nil
	}
	end := start + nl
	if end == start || b[end-1] != '\r' {
		return 0, 0, invalid
	}
	n, ok := parseInt64(b[start : end-1])
	if !ok {
		return 0, 0, invalid
	}
	return n, end + 1, nil
}

// parseInt64 parses a decimal integer exactly as Redis's string2ll does:
// an optional minus sign, no plus sign, no spaces, no leading zeros ("0"
// alone excepted), at most 20 bytes, no overflow.
func parseInt64(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	v, ok := parseDigits(b) // idgrammar.go
	if !ok {
		return 0, false
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// parseInline parses a telnet-style command line: the bytes up to '\n',
// less one '\r' before it, split as Redis splits them (splitInline).
func parseInline(b []byte, args [][]byte) ([][]byte, int, error) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		if len(b) > maxInlineBytes {
			return args, 0, errTooBigInline
		}
		return args, 0, nil
	}
	line := b[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := splitInline(line, args)
	if !ok {
		return args, 0, errUnbalancedQuotes
	}
	return args, nl + 1, nil
}

// splitInline appends the arguments of an inline command line to args,
// split exactly as Redis's sdssplitargs splits them: white space separates
// arguments; "double quotes" group, with the escapes \xHH \n \r \t \b \a
// and \<any>; 'single quotes' group, with \' only; a closing quote must be
// followed by white space or the end; a NUL byte ends the line (Redis reads
// it as a C string). It reports false for unbalanced quotes. An argument
// without quotes is a sub-slice of line; others are copied.
func splitInline(line []byte, args [][]byte) ([][]byte, bool) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	i := 0
	for {
		for i < len(line) && isCSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return args, true
		}
		start := i
		for i < len(line) && !isTokenEnd(line[i]) && line[i] != '"' && line[i] != '\'' {
			i++
		}
		if i == len(line) || isTokenEnd(line[i]) {
			args = append(args, line[start:i:i]) // the common case: no quotes
			continue
		}
		cur := append([]byte(nil), line[start:i]...)
		var ok bool
		if cur, i, ok = splitQuoted(line, i, cur); !ok {
			return args, false
		}
		args = append(args, cur)
	}
}

// splitQuoted continues an argument at line[i], which may open quotes, up
// to its end. It returns the argument and the index after it.
func splitQuoted(line []byte, i int, cur []byte) ([]byte, int, bool) {
	inDouble, inSingle := false, false
	for {
		if i == len(line) {
			return cur, i, !inDouble && !inSingle
		}
		ch := line[i]
		switch {
		case inDouble && ch == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHexDigit(line[i+2]) && isHexDigit(line[i+3]):
			cur = append(cur, hexValue(line[i+2])<<4|hexValue(line[i+3]))
			i += 3
		case inDouble && ch == '\\' && i+1 < len(line):
			i++
			cur = append(cur, unescape(line[i]))
		case inDouble && ch == '"', inSingle && ch == '\'':
			if i+1 < len(line) && !isCSpace(line[i+1]) {
				return cur, i, false // a closing quote must end the argument
			}
			inDouble, inSingle = false, false
			return cur, i + 1, true
		case inSingle && ch == '\\' && i+1 < len(line) && line[i+1] == '\'':
			i++
			cur = append(cur, '\'')
		case inDouble || inSingle:
			cur = append(cur, ch)
		case isTokenEnd(ch):
			return cur, i, true
		case ch == '"':
			inDouble = true
		case ch == '\'':
			inSingle = true
		default:
			cur = append(cur, ch)
		}
		i++
	}
}

// isCSpace is C's isspace: the white space skipped between arguments.
func isCSpace(c byte) bool { return c == ' ' || ('\t' <= c && c <= '\r') }

// isTokenEnd reports the bytes that end an unquoted argument in Redis.
func isTokenEnd(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexValue(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}
