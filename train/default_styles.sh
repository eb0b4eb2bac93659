# shellcheck shell=sh
# Sourced (.) by make_default.sh and make_default_gan.sh, with $work set:
#
#   styles_for=train; . "$here/default_styles.sh"
#
# replaces the positional parameters with the style arguments of every
# instrument of $work/instruments.txt (one name a line, in table order; its
# data in $work/data/NAME-WITH-DASHES/). $styles_for picks the form:
#   train     --style NAME:DIR/train_ --heldout NAME:DIR/heldout_ (train.py, adversarial.py)
#   quality   --style NAME=DIR/heldout_ (quality.py)
set --
while IFS= read -r inst; do
	d=$work/data/$(echo "$inst" | tr ' ' '-')
	case $styles_for in
	train) set -- "$@" --style "$inst:$d/train_" --heldout "$inst:$d/heldout_" ;;
	quality) set -- "$@" --style "$inst=$d/heldout_" ;;
	*)
		echo "default_styles.sh: styles_for must be train or quality, not '$styles_for'" >&2
		exit 2
		;;
	esac
done <"$work/instruments.txt"
