# script.bash - the stock bash workload: arrays, associative arrays, string
# operations, functions, subshells and read loops; deterministic output.
declare -a list=()
declare -A count=()
seed=12345
next() { seed=$(( (seed * 1103515245 + 12345) % 2147483648 )); }
for ((i = 0; i < 3000; i++)); do
    next
    w="w$(( seed % 211 ))"
    list+=("$w")
    count[$w]=$(( ${count[$w]:-0} + 1 ))
done
echo "items ${#list[@]} distinct ${#count[@]}"
for k in $(printf '%s\n' "${!count[@]}" | sort -t w -k2 -n | head -5); do
    echo "$k ${count[$k]}"
done
joined="${list[*]:0:40}"
echo "${joined// /,}"
echo "${joined^^}" | cut -c1-60
upper=$(for w in "${list[@]:0:200}"; do echo "${w#w}"; done | sort -n | uniq -c | sort -rn | head -3)
echo "$upper"
total=0
while read -r n; do total=$(( total + n )); done < <(seq 1 5000)
echo "total $total"
fib() { local a=0 b=1 i; for ((i = 0; i < $1; i++)); do local t=$((a + b)); a=$b; b=$t; done; echo "$a"; }
echo "fib $(fib 80)"
str=""
for i in {1..500}; do str+="$i:"; done
echo "len ${#str} tail ${str: -20}"
