namespace PodShim.UnitTests.Fakes;

/// <summary>Runs a test step on a thread of its own (so that a CPU pin it sets ends with it) and rethrows
/// what it threw on the test's thread, where an exception on a bare thread would end the test host.</summary>
public static class OwnThread
{
    public static void Run(Action body) => Run<object?>(() =>
    {
        body();
        return null;
    });

    public static T Run<T>(Func<T> body)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = body();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
            throw new Xunit.Sdk.XunitException($"on the test's own thread: {failure}");
        return result;
    }
}
