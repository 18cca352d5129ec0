/**
 * Lua for the budget counters (see port.ts). A counter is a hash: `l` limit (-1: none), `s` settled spend,
 * `g` generation, `r:<bucket>` amounts reserved in that time bucket. Numbers are Lua doubles, exact for
 * integers below 2^53 micro-dollars; values go back to the client as the strings Redis stored, or
 * formatted with %.0f (Lua's tostring would print large numbers in exponent form).
 */

// KEYS: counters. ARGV: estimate, bucket, oldest live bucket, then per key: ttlMs, init limit ('' = no
// init), init spent, init generation. Replies {'missing', index…}, {'exhausted', (index, limit, spent,
// reserved)…} or {'reserved', (generation, limit)…}.
export const RESERVE_LUA = `
local estimate = tonumber(ARGV[1])
local oldest = tonumber(ARGV[3])
local missing = {'missing'}
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 0 then
    local a = 3 + (i - 1) * 4
    if ARGV[a + 2] == '' then
      missing[#missing + 1] = tostring(i - 1)
    else
      redis.call('HSET', key, 'l', ARGV[a + 2], 's', ARGV[a + 3], 'g', ARGV[a + 4])
      redis.call('PEXPIRE', key, ARGV[a + 1])
    end
  end
end
if #missing > 1 then return missing end

local exhausted = {'exhausted'}
local generations = {'reserved'}
for i, key in ipairs(KEYS) do
  local fields = redis.call('HGETALL', key)
  local limit, spent, reserved, gen = -1, 0, 0, ''
  local limitText, spentText = '-1', '0'
  for j = 1, #fields, 2 do
    local f, v = fields[j], fields[j + 1]
    if f == 'l' then limit = tonumber(v); limitText = v
    elseif f == 's' then spent = tonumber(v); spentText = v
    elseif f == 'g' then gen = v
    elseif tonumber(string.sub(f, 3)) < oldest then redis.call('HDEL', key, f)
    else reserved = reserved + tonumber(v) end
  end
  if limit >= 0 and spent + reserved + estimate > limit then
    exhausted[#exhausted + 1] = tostring(i - 1)
    exhausted[#exhausted + 1] = limitText
    exhausted[#exhausted + 1] = spentText
    exhausted[#exhausted + 1] = string.format('%.0f', reserved)
  end
  generations[#generations + 1] = gen
  generations[#generations + 1] = limitText
end
if #exhausted > 1 then return exhausted end
local field = 'r:' .. ARGV[2]
for _, key in ipairs(KEYS) do redis.call('HINCRBY', key, field, ARGV[1]) end
return generations
`;

// KEYS: counters. ARGV: estimate, actual, bucket, then one generation per key.
export const RELEASE_LUA = `
local field = 'r:' .. ARGV[3]
for i, key in ipairs(KEYS) do
  local gen = redis.call('HGET', key, 'g')
  if gen then
    if gen == ARGV[3 + i] and redis.call('HEXISTS', key, field) == 1 then
      if redis.call('HINCRBY', key, field, -tonumber(ARGV[1])) <= 0 then redis.call('HDEL', key, field) end
    end
    if ARGV[2] ~= '0' then redis.call('HINCRBY', key, 's', ARGV[2]) end
  end
end
return 0
`;

// KEYS[1]: counter. ARGV: oldest live bucket. Returns {} when missing, else {limit, spent, reserved, generation}.
export const READ_LUA = `
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return {} end
local oldest = tonumber(ARGV[1])
local limit, spent, reserved, gen = '-1', '0', 0, ''
for j = 1, #fields, 2 do
  local f, v = fields[j], fields[j + 1]
  if f == 'l' then limit = v
  elseif f == 's' then spent = v
  elseif f == 'g' then gen = v
  elseif tonumber(string.sub(f, 3)) >= oldest then reserved = reserved + tonumber(v) end
end
return {limit, spent, string.format('%.0f', reserved), gen}
`;

// KEYS[1]: counter. ARGV: limit, then ledger spent or '' (limit only). Existing counters only.
export const ALIGN_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'l', ARGV[1])
if ARGV[2] ~= '' and tonumber(ARGV[2]) > tonumber(redis.call('HGET', KEYS[1], 's') or '0') then
  redis.call('HSET', KEYS[1], 's', ARGV[2])
end
return 1
`;
