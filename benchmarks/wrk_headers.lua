-- wrk script for benchmarks/http.sh: every request carries 10 extra
-- headers, X-Bench-1 .. X-Bench-10, each with a 100-byte value.
for i = 1, 10 do
  wrk.headers['X-Bench-' .. i] = string.rep(string.char(96 + i), 100)
end
