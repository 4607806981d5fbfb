package resp

import (
	"bytes"
	"errors"
	"math"

	"github.com/tidwall/redcon"
)

// Protocol errors, worded as Redis words them. After one, the connection is
// answered and closed.
var (
	errInvalidMultibulk = errors.New("Protocol error: invalid multibulk length")
	errInvalidBulk      = errors.New("Protocol error: invalid bulk length")
	errTooBigInline     = errors.New("Protocol error: too big inline request")
	errTooBigMultibulk  = errors.New("Protocol error: too big mbulk count string")
	errTooBigBulkCount  = errors.New("Protocol error: too big bulk count string")
	errUnbalancedQuotes = errors.New("Protocol error: unbalanced quotes in request")
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
		if size < 0 || size > int64(lim.maxBulk) {
			return args[:first], 0, errInvalidBulk
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

// parseInt64 parses a decimal integer with an optional minus sign, like
// Redis's string2ll: no plus sign, no spaces, no overflow.
func parseInt64(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseInline parses a telnet-style command line, with Redis's quoting
// rules as implemented by redcon.
func parseInline(b []byte, args [][]byte) ([][]byte, int, error) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		if len(b) > maxInlineBytes {
			return args, 0, errTooBigInline
		}
		return args, 0, nil
	}
	line := b[:nl+1]
	if len(bytes.TrimSpace(line)) == 0 {
		return args, nl + 1, nil
	}
	cmd, err := redcon.Parse(line)
	if err != nil {
		return args, 0, errUnbalancedQuotes
	}
	return append(args, cmd.Args...), nl + 1, nil
}
