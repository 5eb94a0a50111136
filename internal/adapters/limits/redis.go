package limits

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aoai-api/aoai-api/internal/ports"
)

// Redis keeps the counters in Redis, shared by every replica. Admit is
// one script call; a batch of charges one pipeline. Every key has a TTL.
type Redis struct {
	rdb *redis.Client
}

// NewRedis meters callers in rdb.
func NewRedis(rdb *redis.Client) *Redis { return &Redis{rdb: rdb} }

// admitScript checks the quota and the minute's tokens without spending
// them, then takes one request from the GCRA bucket, all atomically.
// Times are integer microseconds, formatted with %.0f so that Lua's
// default %.14g never rounds them. It returns {refusal, retry, remaining,
// reset, minute_tokens}.
var admitScript = redis.NewScript(`
local now, emission, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tpm, quota = tonumber(ARGV[4]), tonumber(ARGV[5])
local minuteLeft, periodLeft, tokens = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8] == '1'
local used = tonumber(redis.call('HGET', KEYS[2], 'total_tokens') or '0')
if tokens and quota > 0 then
  local q = tonumber(redis.call('HGET', KEYS[3], 'total_tokens') or '0')
  if q >= quota then return {3, periodLeft, 0, 0, used} end
end
if tokens and tpm > 0 and used >= tpm then return {2, minuteLeft, 0, 0, used} end
if emission <= 0 then return {0, 0, 0, 0, used} end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local tolerance = emission * burst
local nxt = tat + emission
if now < nxt - tolerance then return {1, nxt - tolerance - now, 0, tat - now, used} end
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', string.format('%.0f', math.ceil((nxt - now) / 1000)))
return {0, 0, math.floor((tolerance - (nxt - now)) / emission), nxt - now, used}
`)

const prefix = "aoai:limits:"

// A caller's keys share one hash tag, so that the script's keys sit in
// one slot should the Redis be a cluster's proxy (Azure's Enterprise
// tiers); the operator's list of callers is the one key outside it.
func rateKey(c ports.Caller) string               { return prefix + "{" + c.Key + "}:rate" }
func tallyKey(c ports.Caller, span string) string { return prefix + "{" + c.Key + "}:" + span }
func callersKey() string                          { return prefix + "callers" }

func (r *Redis) admit(ctx context.Context, p Policy, c ports.Caller, now time.Time, tokens bool) (ports.Admission, error) {
	sp := spansAt(now, p.QuotaPeriod)
	flag := "0"
	if tokens {
		flag = "1"
	}
	res, err := admitScript.Run(ctx, r.rdb,
		[]string{rateKey(c), tallyKey(c, "m"+sp.minute), tallyKey(c, "p"+sp.period)},
		now.UnixMicro(), p.emission().Microseconds(), p.Burst, p.TPM, p.Quota,
		sp.minuteLeft.Microseconds(), sp.periodLeft.Microseconds(), flag).Int64Slice()
	if err != nil {
		return ports.Admission{}, err
	}
	a := ports.Admission{RetryAfter: time.Duration(res[1]) * time.Microsecond}
	a.Refused = [...]ports.Refusal{"", ports.RefusedRequests, ports.RefusedTokens, ports.RefusedQuota}[res[0]]
	a.Requests, a.Tokens = windows(p, sp, res[2], time.Duration(res[3])*time.Microsecond, res[4])
	return a, nil
}

// chargeAll sends a batch in one pipeline: per caller and minute, the
// summed figures into the minute's, period's and day's tallies with
// their TTLs, then one ZADD for every caller. A charge made alone sends
// the same commands, with a requests count of 1.
func (r *Redis) chargeAll(ctx context.Context, batch []*pending) error {
	if len(batch) == 0 {
		return nil
	}
	_, err := r.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error { // each command is atomic; a MULTI would span slots
		members := make([]redis.Z, len(batch))
		for i, b := range batch {
			c, t, sp := b.caller, b.tally, spansAt(b.at, b.policy.QuotaPeriod)
			for _, k := range []struct {
				key string
				ttl time.Duration
			}{
				{tallyKey(c, "m"+sp.minute), sp.minuteLeft + time.Minute},
				{tallyKey(c, "p"+sp.period), sp.periodLeft + time.Hour},
				{tallyKey(c, "d"+sp.day), (ledgerDays + 1) * 24 * time.Hour},
			} {
				pipe.HIncrBy(ctx, k.key, "requests", t.Requests)
				pipe.HIncrBy(ctx, k.key, "prompt_tokens", t.PromptTokens)
				pipe.HIncrBy(ctx, k.key, "completion_tokens", t.CompletionTokens)
				pipe.HIncrBy(ctx, k.key, "total_tokens", t.TotalTokens)
				if b.estimated {
					pipe.HIncrBy(ctx, k.key, "estimated_tokens", t.EstimatedTokens)
				}
				pipe.PExpire(ctx, k.key, k.ttl)
			}
			// Oldest first: a caller in two minutes keeps its latest score.
			members[i] = redis.Z{Score: float64(b.at.Unix()), Member: c.Key + "\t" + c.ID}
		}
		last := batch[len(batch)-1].at
		pipe.ZAdd(ctx, callersKey(), members...)
		pipe.ZRemRangeByScore(ctx, callersKey(), "-inf", strconv.FormatInt(last.AddDate(0, 0, -ledgerDays).Unix(), 10))
		pipe.Expire(ctx, callersKey(), (ledgerDays+1)*24*time.Hour)
		return nil
	})
	return err
}

// usage reads every caller's ledger in one pipeline.
func (r *Redis) usage(ctx context.Context, ps []Policy, cs []ports.Caller, now time.Time) ([]ports.Ledger, error) {
	days := lastDays(now)
	pipe := r.rdb.Pipeline()
	type reads struct {
		minute, period *redis.MapStringStringCmd
		days           []*redis.MapStringStringCmd
	}
	all := make([]reads, len(cs))
	for i, c := range cs {
		sp := spansAt(now, ps[i].QuotaPeriod)
		all[i] = reads{minute: pipe.HGetAll(ctx, tallyKey(c, "m"+sp.minute)), period: pipe.HGetAll(ctx, tallyKey(c, "p"+sp.period)),
			days: make([]*redis.MapStringStringCmd, len(days))}
		for j, d := range days {
			all[i].days[j] = pipe.HGetAll(ctx, tallyKey(c, "d"+d))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	out := make([]ports.Ledger, len(cs))
	for i, rd := range all {
		out[i] = ports.Ledger{Caller: cs[i].ID, Minute: tallyOf(rd.minute.Val()), Period: tallyOf(rd.period.Val())}
		for j, cmd := range rd.days {
			if len(cmd.Val()) > 0 {
				out[i].Days = append(out[i].Days, ports.DayTally{Day: days[j], Tally: tallyOf(cmd.Val())})
			}
		}
	}
	return out, nil
}

func tallyOf(h map[string]string) ports.Tally {
	n := func(f string) int64 { v, _ := strconv.ParseInt(h[f], 10, 64); return v }
	return ports.Tally{Requests: n("requests"), PromptTokens: n("prompt_tokens"), CompletionTokens: n("completion_tokens"),
		TotalTokens: n("total_tokens"), EstimatedTokens: n("estimated_tokens")}
}

func (r *Redis) callers(ctx context.Context, _ time.Time) ([]ports.Caller, error) {
	members, err := r.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: callersKey(), Start: 0, Stop: maxListed - 1, Rev: true}).Result()
	if err != nil {
		return nil, err
	}
	out := make([]ports.Caller, 0, len(members))
	for _, m := range members {
		key, id, _ := strings.Cut(m, "\t")
		out = append(out, ports.Caller{Key: key, ID: id})
	}
	return out, nil
}
