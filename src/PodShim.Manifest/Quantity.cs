using System.Globalization;
using System.Numerics;
using System.Text;

namespace PodShim.Manifest;

/// <summary>How a <see cref="Quantity"/> prints (k8s.io/apimachinery/pkg/api/resource Format).</summary>
public enum QuantityFormat
{
    /// <summary>e.g. 12e6</summary>
    DecimalExponent,
    /// <summary>e.g. 12Mi (12 * 2^20)</summary>
    BinarySI,
    /// <summary>e.g. 12M (12 * 10^6)</summary>
    DecimalSI,
}

/// <summary>
/// A fixed-point number as Kubernetes' <c>resource.Quantity</c>: parsed, rounded (up to the nearest
/// nano, capped at 2^63-1 where Kubernetes does) and printed in canonical form exactly as
/// k8s.io/apimachinery does. The value is <see cref="Unscaled"/> × 10^<see cref="Exponent"/>.
/// Equality compares values, not formats.
/// </summary>
public readonly struct Quantity : IEquatable<Quantity>, IComparable<Quantity>
{
    internal const string RegexText = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";
    public const string ErrFormatWrong = "quantities must match the regular expression '" + RegexText + "'";
    public const string ErrNumeric = "unable to parse quantity's numeric value";
    public const string ErrSuffix = "unable to parse quantity's suffix";

    private static readonly BigInteger MaxAllowed = long.MaxValue;

    private readonly BigInteger _unscaled;
    private readonly int _exponent;
    private readonly string? _s;

    public QuantityFormat Format { get; }
    public BigInteger Unscaled => _unscaled;
    public int Exponent => _exponent;

    private Quantity(BigInteger unscaled, int exponent, QuantityFormat format, string? s)
    {
        _unscaled = unscaled;
        _exponent = exponent;
        Format = format;
        _s = s;
    }

    public static Quantity Zero => new(BigInteger.Zero, 0, QuantityFormat.DecimalSI, null);

    /// <summary>A whole number in the given format (resource.NewQuantity).</summary>
    public static Quantity FromInt64(long value, QuantityFormat format = QuantityFormat.DecimalSI) => new(value, 0, format, null);

    /// <summary>value × 10^-3 in DecimalSI (resource.NewMilliQuantity).</summary>
    public static Quantity FromMilli(long milli, QuantityFormat format = QuantityFormat.DecimalSI) => new(milli, -3, format, null);

    /// <summary>value × 10^scale (resource.NewScaledQuantity).</summary>
    public static Quantity FromScaled(long value, int scale) => new(value, scale, QuantityFormat.DecimalSI, null);

    public bool IsZero => _unscaled.IsZero;
    public int Sign => _unscaled.Sign;

    public static Quantity Parse(string text) =>
        TryParse(text, out var q, out var error) ? q : throw new FormatException(error);

    public static bool TryParse(string text, out Quantity quantity) => TryParse(text, out quantity, out _);

    /// <summary>resource.ParseQuantity, including its quirks.</summary>
    public static bool TryParse(string text, out Quantity quantity, out string? error)
    {
        quantity = default;
        error = null;
        if (string.IsNullOrEmpty(text)) { error = ErrFormatWrong; return false; }
        if (text == "0") { quantity = new Quantity(BigInteger.Zero, 0, QuantityFormat.DecimalSI, "0"); return true; }

        if (!SplitQuantityString(text, out bool positive, out string value, out string num, out string denom, out string suffix))
        {
            error = ErrFormatWrong;
            return false;
        }
        if (!InterpretSuffix(suffix, out int @base, out int exponent, out QuantityFormat format))
        {
            error = ErrSuffix;
            return false;
        }

        int precision = 0;
        int scale = 0;
        long mantissa = 1;
        switch (format)
        {
            case QuantityFormat.DecimalExponent:
            case QuantityFormat.DecimalSI:
                scale = exponent;
                precision = 18 - (num.Length + denom.Length);
                break;
            case QuantityFormat.BinarySI:
                scale = 0;
                if (exponent >= 0 && denom.Length == 0)
                {
                    mantissa = 1L << exponent;
                    precision = 15 - num.Length - (int)((float)exponent * 3 / 10) - 1;
                }
                else
                {
                    precision = -1;
                }
                break;
        }

        if (precision >= 0)
        {
            scale -= denom.Length;
            if (scale >= -9)
            {
                string shifted = num + denom;
                if (!long.TryParse(shifted, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                {
                    error = ErrNumeric;
                    return false;
                }
                long result;
                bool ok;
                try { result = checked(v * mantissa); ok = true; }
                catch (OverflowException) { result = 0; ok = false; }
                if (ok)
                {
                    if (!positive) result = -result;
                    string? cached = null;
                    if (format == QuantityFormat.BinarySI)
                    {
                        if (exponent % 10 == 0 && (v & 0x07) != 0) cached = text;
                    }
                    else if (scale % 3 == 0 && !shifted.EndsWith("000", StringComparison.Ordinal) && shifted[0] != '0')
                    {
                        cached = text;
                    }
                    quantity = new Quantity(result, scale, format, cached);
                    return true;
                }
            }
        }

        // Slow path: arbitrary precision, rounded up to nano, capped at 2^63-1.
        if (!ParseDecimalString(value, out BigInteger unscaled, out int exp10))
        {
            error = ErrNumeric;
            return false;
        }
        int sign = unscaled.Sign;
        BigInteger mag = BigInteger.Abs(unscaled);
        if (@base == 10)
        {
            exp10 += exponent;
        }
        else
        {
            mag <<= exponent;
        }
        if (!mag.IsZero)
        {
            // Cap first when the magnitude is obviously beyond 2^63-1 (avoids huge powers of ten).
            long digits = (long)BigInteger.Log10(mag) + 1 + exp10;
            if (digits > 20)
            {
                mag = MaxAllowed;
                exp10 = 0;
            }
            else if (exp10 < -9)
            {
                if (digits < -9)
                {
                    mag = 1;
                    exp10 = -9;
                }
                else
                {
                    var div = BigInteger.Pow(10, -9 - exp10);
                    var q = BigInteger.DivRem(mag, div, out var rem);
                    if (!rem.IsZero) q += 1;
                    mag = q;
                    exp10 = -9;
                }
            }
            if (Compare(mag, exp10, MaxAllowed, 0) > 0)
            {
                mag = MaxAllowed;
                exp10 = 0;
            }
        }
        if (format == QuantityFormat.BinarySI && !mag.IsZero && Compare(mag, exp10, BigInteger.One, 0) < 0)
        {
            format = QuantityFormat.DecimalSI;
        }
        quantity = new Quantity(sign < 0 ? -mag : mag, exp10, format, null);
        return true;
    }

    private static bool ParseDecimalString(string value, out BigInteger unscaled, out int exp10)
    {
        unscaled = BigInteger.Zero;
        exp10 = 0;
        int i = 0;
        bool negative = false;
        if (i < value.Length && (value[i] == '+' || value[i] == '-')) { negative = value[i] == '-'; i++; }
        var digits = new StringBuilder(value.Length);
        bool seenDot = false;
        int fraction = 0;
        for (; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '.')
            {
                if (seenDot) return false;
                seenDot = true;
            }
            else if (c is >= '0' and <= '9')
            {
                digits.Append(c);
                if (seenDot) fraction++;
            }
            else
            {
                return false;
            }
        }
        if (digits.Length == 0) return false;
        unscaled = BigInteger.Parse(digits.ToString(), NumberStyles.None, CultureInfo.InvariantCulture);
        if (negative) unscaled = -unscaled;
        exp10 = -fraction;
        return true;
    }

    /// <summary>parseQuantityString: splits sign, number and suffix; false is ErrFormatWrong.</summary>
    private static bool SplitQuantityString(string str, out bool positive, out string value, out string num, out string denom, out string suffix)
    {
        positive = true;
        value = num = denom = suffix = "";
        int pos = 0;
        int end = str.Length;
        if (pos < end)
        {
            if (str[0] == '-') { positive = false; pos++; }
            else if (str[0] == '+') { pos++; }
        }
        // strip leading zeros
        for (int i = pos; ; i++)
        {
            if (i >= end) { num = "0"; value = num; return true; }
            if (str[i] == '0') pos++;
            else break;
        }
        // numerator
        for (int i = pos; ; i++)
        {
            if (i >= end) { num = str[pos..end]; value = str[..end]; return true; }
            if (!char.IsAsciiDigit(str[i])) { num = str[pos..i]; pos = i; break; }
        }
        if (num.Length == 0) num = "0";
        // denominator
        if (pos < end && str[pos] == '.')
        {
            pos++;
            for (int i = pos; ; i++)
            {
                if (i >= end) { denom = str[pos..end]; value = str[..end]; return true; }
                if (!char.IsAsciiDigit(str[i])) { denom = str[pos..i]; pos = i; break; }
            }
        }
        value = str[..pos];
        int suffixStart = pos;
        for (int i = pos; ; i++)
        {
            if (i >= end) { suffix = str[suffixStart..end]; return true; }
            if ("eEinumkKMGTP".IndexOf(str[i]) < 0) { pos = i; break; }
        }
        if (pos < end && (str[pos] == '-' || str[pos] == '+')) pos++;
        for (int i = pos; ; i++)
        {
            if (i >= end) { suffix = str[suffixStart..end]; return true; }
            if (!char.IsAsciiDigit(str[i])) break;
        }
        return false;
    }

    private static bool InterpretSuffix(string suffix, out int @base, out int exponent, out QuantityFormat format)
    {
        @base = 10;
        format = QuantityFormat.DecimalSI;
        switch (suffix)
        {
            case "n": exponent = -9; return true;
            case "u": exponent = -6; return true;
            case "m": exponent = -3; return true;
            case "": exponent = 0; return true;
            case "k": exponent = 3; return true;
            case "M": exponent = 6; return true;
            case "G": exponent = 9; return true;
            case "T": exponent = 12; return true;
            case "P": exponent = 15; return true;
            case "E": exponent = 18; return true;
        }
        @base = 2;
        format = QuantityFormat.BinarySI;
        switch (suffix)
        {
            case "Ki": exponent = 10; return true;
            case "Mi": exponent = 20; return true;
            case "Gi": exponent = 30; return true;
            case "Ti": exponent = 40; return true;
            case "Pi": exponent = 50; return true;
            case "Ei": exponent = 60; return true;
        }
        @base = 10;
        format = QuantityFormat.DecimalExponent;
        exponent = 0;
        if (suffix.Length > 1 && (suffix[0] == 'E' || suffix[0] == 'e'))
        {
            // strconv.ParseInt(s, 10, 64) then int32(parsed), as Kubernetes does.
            if (!long.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed))
                return false;
            exponent = unchecked((int)parsed);
            return true;
        }
        return false;
    }

    // ----- values -----

    /// <summary>The value rounded away from zero to a multiple of 10^scale (Quantity.ScaledValue), saturating.</summary>
    public long ScaledValue(int scale)
    {
        if (_unscaled.IsZero) return 0;
        BigInteger result;
        if (_exponent >= scale)
        {
            long shift = (long)_exponent - scale;
            long digits = (long)BigInteger.Log10(BigInteger.Abs(_unscaled)) + 1 + shift;
            if (digits > 20) return _unscaled.Sign > 0 ? long.MaxValue : long.MinValue;
            result = _unscaled * BigInteger.Pow(10, (int)shift);
        }
        else
        {
            long shift = (long)scale - _exponent;
            long digits = (long)BigInteger.Log10(BigInteger.Abs(_unscaled)) + 1;
            if (shift > digits + 1)
            {
                result = _unscaled.Sign;
            }
            else
            {
                var q = BigInteger.DivRem(BigInteger.Abs(_unscaled), BigInteger.Pow(10, (int)shift), out var rem);
                if (!rem.IsZero) q += 1;
                result = _unscaled.Sign < 0 ? -q : q;
            }
        }
        if (result > long.MaxValue) return long.MaxValue;
        if (result < long.MinValue) return long.MinValue;
        return (long)result;
    }

    /// <summary>Whole units, rounded up (Quantity.Value).</summary>
    public long Value => ScaledValue(0);

    /// <summary>Thousandths, rounded up (Quantity.MilliValue).</summary>
    public long MilliValue => ScaledValue(-3);

    /// <summary>The value as a double (approximate).</summary>
    public double ToDouble() => (double)_unscaled * Math.Pow(10, _exponent);

    /// <summary>Sum; the format is this one's unless this is zero (Quantity.Add).</summary>
    public Quantity Add(Quantity other)
    {
        if (other._unscaled.IsZero) return new Quantity(_unscaled, _exponent, Format, null);
        var format = _unscaled.IsZero ? other.Format : Format;
        if (_unscaled.IsZero) return new Quantity(other._unscaled, other._exponent, format, null);
        int e = Math.Min(_exponent, other._exponent);
        var a = _unscaled * BigInteger.Pow(10, _exponent - e);
        var b = other._unscaled * BigInteger.Pow(10, other._exponent - e);
        return new Quantity(a + b, e, format, null);
    }

    public static Quantity operator +(Quantity a, Quantity b) => a.Add(b);

    public static Quantity Max(Quantity a, Quantity b) => a.CompareTo(b) >= 0 ? a : b;

    public int CompareTo(Quantity other) => Compare(_unscaled, _exponent, other._unscaled, other._exponent);

    private static int Compare(BigInteger a, int ea, BigInteger b, int eb)
    {
        int sa = a.Sign, sb = b.Sign;
        if (sa != sb) return sa.CompareTo(sb);
        if (sa == 0) return 0;
        if (Math.Abs((long)ea - eb) > 64)
        {
            // Far apart exponents: compare orders of magnitude without building huge powers of ten.
            long oa = DigitCount(a) + (long)ea;
            long ob = DigitCount(b) + (long)eb;
            if (oa != ob) return sa * oa.CompareTo(ob);
        }
        int e = Math.Min(ea, eb);
        var na = a * BigInteger.Pow(10, ea - e);
        var nb = b * BigInteger.Pow(10, eb - e);
        return na.CompareTo(nb);
    }

    private static long DigitCount(BigInteger v) => BigInteger.Abs(v).ToString(CultureInfo.InvariantCulture).Length;

    public bool Equals(Quantity other) => CompareTo(other) == 0;
    public override bool Equals(object? obj) => obj is Quantity q && Equals(q);
    public override int GetHashCode()
    {
        if (_unscaled.IsZero) return 0;
        var (m, e) = RemoveFactors(_unscaled, 10);
        return HashCode.Combine(m, _exponent + e);
    }
    public static bool operator ==(Quantity a, Quantity b) => a.Equals(b);
    public static bool operator !=(Quantity a, Quantity b) => !a.Equals(b);
    public static bool operator <(Quantity a, Quantity b) => a.CompareTo(b) < 0;
    public static bool operator >(Quantity a, Quantity b) => a.CompareTo(b) > 0;
    public static bool operator <=(Quantity a, Quantity b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Quantity a, Quantity b) => a.CompareTo(b) >= 0;

    // ----- printing (CanonicalizeBytes) -----

    public override string ToString()
    {
        if (_s is not null) return _s;
        if (_unscaled.IsZero) return "0";
        var format = Format;
        BigInteger rounded = BigInteger.Zero;
        if (format == QuantityFormat.BinarySI)
        {
            if (CompareTo(FromInt64(-1024)) > 0 && CompareTo(FromInt64(1024)) < 0)
            {
                format = QuantityFormat.DecimalSI;
            }
            else if (!TryAsWhole(out rounded))
            {
                format = QuantityFormat.DecimalSI;
            }
        }
        if (format == QuantityFormat.BinarySI)
        {
            var (amount, times) = RemoveFactors(rounded, 1024);
            string suffix = (times * 10) switch
            {
                0 => "",
                10 => "Ki",
                20 => "Mi",
                30 => "Gi",
                40 => "Ti",
                50 => "Pi",
                60 => "Ei",
                _ => "",
            };
            return amount.ToString(CultureInfo.InvariantCulture) + suffix;
        }
        else
        {
            var (amount, times) = RemoveFactors(_unscaled, 10);
            long exponent = (long)_exponent + times;
            while (exponent % 3 != 0)
            {
                amount *= 10;
                exponent--;
            }
            string number = amount.ToString(CultureInfo.InvariantCulture);
            if (format == QuantityFormat.DecimalSI)
            {
                string? suffix = exponent switch
                {
                    -9 => "n",
                    -6 => "u",
                    -3 => "m",
                    0 => "",
                    3 => "k",
                    6 => "M",
                    9 => "G",
                    12 => "T",
                    15 => "P",
                    18 => "E",
                    _ => null,
                };
                // Kubernetes has no suffix for other exponents; it prints the bare number then.
                return number + (suffix ?? "");
            }
            return exponent == 0 ? number : number + "e" + exponent.ToString(CultureInfo.InvariantCulture);
        }
    }

    private bool TryAsWhole(out BigInteger whole)
    {
        if (_exponent >= 0)
        {
            whole = _unscaled * BigInteger.Pow(10, _exponent);
            return true;
        }
        var q = BigInteger.DivRem(_unscaled, BigInteger.Pow(10, -_exponent), out var rem);
        whole = q;
        return rem.IsZero;
    }

    private static (BigInteger Amount, int Times) RemoveFactors(BigInteger value, int @base)
    {
        bool negative = value.Sign < 0;
        var result = BigInteger.Abs(value);
        int times = 0;
        while (result >= @base && (result % @base).IsZero)
        {
            result /= @base;
            times++;
        }
        return (negative ? -result : result, times);
    }
}
