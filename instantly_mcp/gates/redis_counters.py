"""The autonomy policy's counters in Redis, so replicas share one budget per workspace.

Each counter of a workspace is a sorted set of the calls that took it, scored by Redis's own clock
(replicas with skewed clocks agree), each member carrying its amount. One Lua script sums every
window of every counter the call takes and records the call in all of them, or in none: two
replicas racing for the last of a budget cannot both pass. A Redis failure raises
StoreUnavailable, on which an `allow` asks a person instead.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from instantly_mcp.errors import StoreUnavailable
from instantly_mcp.gates.autonomy.counters import Mode, Taken, Want, judge

PREFIX = "instantly-mcp:autonomy"

# KEYS: one sorted set per counter. ARGV: member, mode, then per key: amount, window count, and
# (window ms, at most) pairs. Returns the totals per window in order, then 1 if recorded.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mode = ARGV[2]
local pos = 3
local totals = {}
local fits = true
local plans = {}
for i = 1, #KEYS do
  local amount, count = tonumber(ARGV[pos]), tonumber(ARGV[pos + 1])
  pos = pos + 2
  local longest = 0
  local windows = {}
  for w = 1, count do
    windows[w] = {tonumber(ARGV[pos]), tonumber(ARGV[pos + 1])}
    longest = math.max(longest, windows[w][1])
    pos = pos + 2
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - longest)
  local entries = redis.call('ZRANGE', KEYS[i], 0, -1, 'WITHSCORES')
  for w = 1, count do
    local sum = 0
    for j = 1, #entries, 2 do
      if tonumber(entries[j + 1]) > now - windows[w][1] then
        sum = sum + tonumber(string.match(entries[j], ':(%d+)$'))
      end
    end
    totals[#totals + 1] = sum
    if sum + amount > windows[w][2] then fits = false end
  end
  plans[i] = {amount, longest}
end
local recorded = 0
if mode == 'force' or (mode == 'check' and fits) then
  for i = 1, #KEYS do
    redis.call('ZADD', KEYS[i], now, ARGV[1] .. ':' .. plans[i][1])
    redis.call('PEXPIRE', KEYS[i], plans[i][2])
  end
  recorded = 1
end
totals[#totals + 1] = recorded
return totals
"""


class RedisCounters:
    shared = True

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._take = redis.register_script(_TAKE)
        self._replica = secrets.token_hex(6)
        self._ids = itertools.count()

    async def take(self, workspace: str, wants: Sequence[Want], mode: Mode = "check") -> Taken:
        counted = [want for want in wants if want.windows]
        args: list[str | int] = [f"{self._replica}:{next(self._ids)}", mode]
        for want in counted:
            args += [want.amount, len(want.windows)]
            for window_s, limit in want.windows:
                args += [window_s * 1000, limit]
        keys = [f"{PREFIX}:{{{workspace}}}:{want.counter}" for want in counted]
        if not keys:
            return Taken()
        try:
            answer = await self._take(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"Redis is unreachable ({type(exc).__name__})") from None
        totals = iter(int(n) for n in answer[:-1])
        by_window = {(want.counter, window_s): next(totals) for want in counted for window_s, _ in want.windows}
        return judge(counted, lambda want, window_s: by_window[(want.counter, window_s)])
