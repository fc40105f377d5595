using PodShim.Manifest;
using PodShim.Runtime.Status;

namespace PodShim.Runtime.Lifecycle;

/// <summary>Why a container's image is not there (kubelet EnsureImageExists): the waiting reason and its message.</summary>
public sealed record ImagePullFailure(string Reason, string Message);

/// <summary>
/// The image step of a container start, as the kubelet's image manager does it. There is no
/// registry: "pulling" is finding the image in the store. A miss gives ErrImagePull and starts a
/// per-image back-off (10 s, doubling to 5 min); a start tried again within it gives
/// ImagePullBackOff without looking. A failed start is tried again after the pod worker's
/// 10 s back-off period, so the status goes ErrImagePull, then ImagePullBackOff, and an image
/// imported meanwhile is picked up at the next try.
/// </summary>
public sealed partial class PodLifecycle
{
    internal static readonly TimeSpan ImageBackOffInitial = TimeSpan.FromSeconds(10);
    internal static readonly TimeSpan ImageBackOffMax = TimeSpan.FromSeconds(300);
    /// <summary>kubelet's pod worker retries a failed sync after backOffPeriod (10 s).</summary>
    internal static readonly TimeSpan FailedSyncRetry = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, (TimeSpan Delay, DateTimeOffset LastUpdate)> _imageBackOff = new(StringComparer.Ordinal);

    /// <summary>True when the container's image is present; otherwise the slot waits with the kubelet's reason and is tried again.</summary>
    private bool PullImage(Slot slot)
    {
        string image = slot.Spec.Image;
        DateTimeOffset now = _time.GetUtcNow();
        if (_imageBackOff.TryGetValue(image, out var backOff) && !Expired(backOff.LastUpdate, now) && now - backOff.LastUpdate < backOff.Delay)
        {
            string message = $"Back-off pulling image \"{image}\"";
            _events.Record("Normal", "BackOff", message, slot.Name);
            _events.Record("Warning", "Failed", $"Error: {ContainerReasons.ImagePullBackOff}", slot.Name);
            WaitForImage(slot, ContainerReasons.ImagePullBackOff, message);
            return false;
        }
        if (_runtime.EnsureImage(slot.Spec) is not { } failure)
        {
            _imageBackOff.Remove(image);
            return true;
        }
        switch (failure.Reason)
        {
            case ContainerReasons.ErrImagePull:
                _events.Record("Normal", "Pulling", $"Pulling image \"{image}\"", slot.Name);
                _events.Record("Warning", "Failed", $"Failed to pull image \"{image}\": {failure.Message}", slot.Name);
                _imageBackOff[image] = (backOff.Delay == TimeSpan.Zero || Expired(backOff.LastUpdate, now)
                    ? ImageBackOffInitial
                    : TimeSpan.FromTicks(Math.Min(backOff.Delay.Ticks * 2, ImageBackOffMax.Ticks)), now);
                break;
            case ErrImageNeverPull:
                _events.Record("Warning", ErrImageNeverPull, failure.Message, slot.Name);
                break;
            default:
                _events.Record("Warning", "InspectFailed", failure.Message, slot.Name);
                break;
        }
        _events.Record("Warning", "Failed", $"Error: {failure.Reason}", slot.Name);
        WaitForImage(slot, failure.Reason, failure.Message);
        return false;
    }

    public const string ErrImageNeverPull = "ErrImageNeverPull";
    public const string InvalidImageName = "InvalidImageName";

    /// <summary>flowcontrol.Backoff forgets an entry not updated for twice the maximum.</summary>
    private static bool Expired(DateTimeOffset lastUpdate, DateTimeOffset now) => now - lastUpdate > 2 * ImageBackOffMax;

    /// <summary>No attempt was made: the slot shows the reason and the start is tried again later (no restart counted).</summary>
    private void WaitForImage(Slot slot, string reason, string message)
    {
        slot.Machine.MoveTo(ContainerPhase.Exited);
        slot.Machine.MoveTo(ContainerPhase.BackOff);
        slot.WaitingReason = reason;
        slot.WaitingMessage = message;
        slot.Timer = After(FailedSyncRetry, () => RetryAfterBackOff(slot));
    }
}
