-- wrk script: every request carries one of the seeded clients' tokens (round robin over
-- tokens.txt, each wrk thread starting at a different one) and, for POST, a JSON body.
-- Usage: wrk ... -s perf/tokens.lua URL -- TOKENS_FILE [METHOD BODY]
local tokens = {}
local counter = 0
local method = "GET"
local body = nil

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  if args[2] then method = args[2] end
  if args[3] then body = args[3] end
  counter = math.random(#tokens)
end

function request()
  counter = counter + 1
  local headers = { ["X-Authorization"] = tokens[(counter % #tokens) + 1] }
  if body then headers["Content-Type"] = "application/json" end
  return wrk.format(method, nil, headers, body)
end
