package resp

import "errors"

// The RESP front's error catalog: every error reply it writes whose text
// is fixed, worded as Redis words it. Errors of the broker (the state a
// command met: no such key, no such group, an ID too small, ...) are in
// broker's catalog (broker/errors.go), which writeError consults first;
// replies built from arguments (a key or option named in the text) are
// built where they are written. TestNoErrorLiterals keeps new literals out
// of the other files.

// Whole replies (prefix included).
const (
	replyAuthNoPassword      = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	replyBadClientName       = "ERR Client names cannot contain spaces, newlines or special characters."
	replyClientIDPositive    = "ERR client-id should be greater than 0"
	replyDBIndex             = "ERR DB index is out of range"
	replyDiscardWithoutMulti = "ERR DISCARD without MULTI"
	replyExecAbort           = "EXECABORT Transaction discarded because of previous errors."
	replyExecWithoutMulti    = "ERR EXEC without MULTI"
	replyGetKeysArgs         = "ERR Invalid arguments specified for command"
	replyGetKeysArity        = "ERR Invalid number of arguments specified for command"
	replyInvalidClientID     = "ERR Invalid client ID"
	replyInvalidCommand      = "ERR Invalid command specified"
	replyInvalidCursor       = "ERR invalid cursor"
	replyMultiNested         = "ERR MULTI calls can not be nested"
	replyNoConfigFile        = "ERR The server is running without a config file"
	replyNoKeyArgs           = "ERR The command has no key arguments"
	replyNoProto             = "NOPROTO unsupported protocol version"
	replyNoShutdown          = "ERR No shutdown in progress."
	replyNoSuchClient        = "ERR No such client"
	replyNotInMulti          = "ERR Command not allowed inside a transaction"
	replyProtoNotInteger     = "ERR Protocol version is not an integer or out of range"
	replyShutdownFailed      = "ERR Errors trying to SHUTDOWN. Check logs."
	replyTimeoutNegative     = "ERR timeout is negative"
	replyTimeoutNotInteger   = "ERR timeout is not an integer or out of range"
	replyTimeoutRange        = "ERR timeout is out of range"
	replyWatchInMulti        = "ERR WATCH inside MULTI is not allowed"
	replyWrongPass           = "WRONGPASS invalid username-password pair or user is disabled."
	replyXReadGreaterID      = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
	replyXReadGroup          = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
	replyXReadGroupDollar    = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
	replyXReadNoAck          = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
	replyXReadUnbalanced     = "ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified."
	replyXStreamArity        = "ERR wrong number of arguments for 'xstream' command"
)

// Errors writeError answers with "ERR " and their text.
var (
	errSyntax               = errors.New("syntax error")
	errNotInteger           = errors.New("value is not an integer or out of range")
	errConfigRange          = errors.New("argument must be between 0 and 9223372036854775807 inclusive")
	errNotifyClass          = errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
	errAckWait              = errors.New("ACKWAIT must be a non-negative number of milliseconds")
	errBackoff              = errors.New("BACKOFF must be a comma-separated list of positive milliseconds")
	errConfigMemory         = errors.New("argument must be a memory value")
	errConfigNotInteger     = errors.New("argument couldn't be parsed into an integer")
	errCountPositive        = errors.New("COUNT must be > 0")
	errEntriesAddedPositive = errors.New("entries_added must be positive")
	errEntriesRead          = errors.New("value for ENTRIESREAD must be positive or -1")
	errIDSRequired          = errors.New("IDS option is required")
	errInterestOnOff        = errors.New("INTEREST must be ON or OFF")
	errLimitNegative        = errors.New("The LIMIT argument must be >= 0.")
	errLimitWithoutApprox   = errors.New("syntax error, LIMIT cannot be used without the special ~ option")
	errLimitWithoutStrategy = errors.New("syntax error, LIMIT cannot be used without specifying a trimming strategy")
	errMaxDeliver           = errors.New("MAXDELIVER must be a non-negative integer")
	errMaxPending           = errors.New("MAXPENDING must be a non-negative integer")
	errMaxLenAndMinID       = errors.New("syntax error, MAXLEN and MINID options at the same time are not compatible")
	errMaxLenNegative       = errors.New("The MAXLEN argument must be >= 0.")
	errMinIdleNotInteger    = errors.New("min-idle-time is not an integer or out of range")
	errMinIdlePositive      = errors.New("min-idle-time must be a positive integer")
	errMissingGroup         = errors.New("Missing GROUP option for XREADGROUP")
	errNumIDsMismatch       = errors.New("The `numids` parameter must match the number of arguments")
	errNumIDsPositive       = errors.New("Number of IDs must be a positive integer")
	errTimeoutNegative      = errors.New("timeout is negative")
	errTimeoutNotInteger    = errors.New("timeout is not an integer or out of range")
	errXAutoClaimMinIdle    = errors.New("Invalid min-idle-time argument for XAUTOCLAIM")
	errXClaimMinIdle        = errors.New("Invalid min-idle-time argument for XCLAIM")
	errXReadGroupUnbalanced = errors.New("Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must be specified.")
	errXTrimStrategy        = errors.New("syntax error, XTRIM must be called with a trimming strategy")
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

	// Over rewind's limits, which are smaller than Redis's (conn.go's
	// protocolErrorReply names the limit and the flag that raises it).
	errBulkOverLimit  = errors.New("Protocol error: invalid bulk length")
	errQueryOverLimit = errors.New("Protocol error: query too large")
)
